import Testing
@testable import TandemCore

/// Keras's weight regularisers: read from each form Keras writes, and applied by the optimizer once per
/// step as the gradient of `l1 · Σ|w| + l2 · Σw²`.
struct RegularizerTests {
    static func configuration(_ regularizer: JSONValue) -> KerasLayerConfiguration {
        KerasLayerConfiguration(className: "Dense", name: "dense", config: ["units": .number(2), "kernel_regularizer": regularizer])
    }

    @Test("L2, L1, L1L2 as objects and names (Keras's default factor 0.01); null is none; anything else one line")
    func readsKerasForms() throws {
        func read(_ value: JSONValue) throws -> Regularizer? { try Self.configuration(value).regularizer(forWeights: "kernel") }
        #expect(try read(.object(["class_name": .string("L2"), "config": .object(["l2": .number(1e-4)])])) == Regularizer(l2: 1e-4))
        #expect(try read(.object(["class_name": .string("L1L2"), "config": .object(["l1": .number(0.5), "l2": .number(0.25)])]))
                == Regularizer(l1: 0.5, l2: 0.25))
        #expect(try read(.string("l1")) == Regularizer(l1: 0.01))
        #expect(try read(.null) == nil)
        #expect(try Self.configuration(.null).regularizer(forWeights: "bias") == nil)
        #expect { try read(.object(["class_name": .string("OrthogonalRegularizer")])) } throws: {
            "\($0)" == "dense: kernel_regularizer OrthogonalRegularizer is not supported (L1, L2 or L1L2)"
        }
        #expect { try read(.object(["class_name": .string("L2"), "config": .object(["l2": .number(-1)])])) } throws: {
            "\($0)" == "dense: kernel_regularizer l2 -1 must be a number ≥ 0"
        }
    }

    @Test("A step adds l1 · sign(θ) + 2 · l2 · θ to the gradient of regularised weights only (SGD: θ − lr · that), and the penalty is l1 · Σ|w| + l2 · Σw²")
    func stepAndPenalty() {
        var settings = OptimizerSettings()
        settings.kind = .sgd
        let optimizer = Optimizer(parameterCount: 4, settings: settings,
                                  regularization: [(1..<3, Regularizer(l1: 0.5, l2: 0.25))])
        let parameters = FloatBuffer(count: 4)
        parameters.copy(from: [2, -2, 0, 2])
        let gradient: [Float] = [1, 1, 1, 1]
        gradient.withUnsafeBufferPointer { optimizer.update(parameters: parameters, gradient: $0.baseAddress!, learningRate: 0.5) }
        // Element 1: g = 1 + 0.5 · (−1) + 0.5 · (−2) = −0.5; element 2 (θ = 0): g = 1.
        #expect(parameters.array == [1.5, -1.75, -0.5, 1.5])
        let penalty = Regularizer(l1: 0.5, l2: 0.25)
        #expect([Float(3), -4].withUnsafeBufferPointer { penalty.penalty($0) } == 0.5 * 7 + 0.25 * 25)
    }
}
