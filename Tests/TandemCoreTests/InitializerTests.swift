import Foundation
import Testing
@testable import TandemCore

/// Keras's initializers: the names and objects Keras writes, the distributions they draw from, and the
/// default (Glorot-uniform kernels, zero biases) drawn exactly as before.
struct InitializerTests {
    func dense(_ config: [String: JSONValue], inputs: Int = 300, units: Int = 200) throws -> Dense {
        let configuration = KerasLayerConfiguration(className: "Dense", name: "d",
                                                    config: config.merging(["units": .number(Double(units))]) { $1 })
        return try #require(try LayerRegistry.make(configuration, inputShape: .vector(inputs), context: LayerBuildContext()) as? Dense)
    }

    func drawn(_ layer: Dense, seed: UInt64 = 9) -> [Float] {
        var parameters = [Float](repeating: .nan, count: layer.parameterCount)
        var generator = RandomGenerator(seed: seed)
        parameters.withUnsafeMutableBufferPointer { layer.initialize(parameters: $0, generator: &generator) }
        return parameters
    }

    @Test("Keras's names and objects, Keras 3's and Keras 2's, name the initializers Keras means")
    func names() throws {
        let cases: [(JSONValue, Initializer)] = [
            (.string("he_normal"), .varianceScaling(scale: 2, mode: .fanIn, distribution: .truncatedNormal)),
            (.object(["class_name": .string("HeUniform"), "config": .object(["seed": .null])]), .varianceScaling(scale: 2, mode: .fanIn, distribution: .uniform)),
            (.string("lecun_normal"), .varianceScaling(scale: 1, mode: .fanIn, distribution: .truncatedNormal)),
            (.string("glorot_normal"), .varianceScaling(scale: 1, mode: .fanAverage, distribution: .truncatedNormal)),
            (.object(["class_name": .string("VarianceScaling"), "config": .object(["scale": .number(0.5), "mode": .string("fan_out"),
                                                                                   "distribution": .string("normal")])]),
             .varianceScaling(scale: 0.5, mode: .fanOut, distribution: .truncatedNormal)),
            (.object(["class_name": .string("RandomNormal"), "config": .object(["mean": .number(0.1), "stddev": .number(0.02)])]),
             .normal(mean: 0.1, standardDeviation: 0.02, truncated: false)),
            (.string("truncated_normal"), .normal(mean: 0, standardDeviation: 0.05, truncated: true)),
            (.object(["class_name": .string("Constant"), "config": .object(["value": .number(0.25)])]), .constant(0.25)),
            (.string("ones"), .ones),
        ]
        for (value, expected) in cases {
            #expect(try dense(["kernel_initializer": value]).kernelInitializer == expected, "\(value)")
        }
        #expect(try dense(["kernel_initializer": .string("orthogonal")]).kernelInitializer == .orthogonal(gain: 1))
        #expect(throws: (any Error).self) { try dense(["bias_initializer": .string("orthogonal")]) }   // Keras needs a matrix
        #expect(throws: (any Error).self) { try dense(["kernel_initializer": .string("exponential_decay")]) }
        #expect(try dense(["bias_initializer": .string("ones")]).biasInitializer == .ones)
    }

    @Test("Orthogonal: the kernel as a (fan-in × outputs) matrix has orthonormal columns, or rows if wide, times gain; Identity: the identity matrix times gain, on Dense kernels only",
          arguments: [(300, 200), (3, 7), (6, 6)])
    func orthogonalAndIdentity(inputs: Int, units: Int) throws {
        let gain: Float = 1.5
        let orthogonal = try dense(["kernel_initializer": .object(["class_name": .string("Orthogonal"), "config": .object(["gain": .number(1.5)])])],
                                   inputs: inputs, units: units)
        let kernel = drawn(orthogonal).prefix(inputs * units).map(Double.init)
        let (inner, outer) = inputs >= units ? (inputs, units) : (units, inputs)   // product over the long side
        for first in 0..<outer {
            for second in 0..<outer {
                let dot = (0..<inner).reduce(0.0) { sum, k in
                    sum + (inputs >= units ? kernel[k * units + first] * kernel[k * units + second]
                                           : kernel[first * units + k] * kernel[second * units + k])
                }
                #expect(abs(dot - (first == second ? Double(gain * gain) : 0)) < 1e-5, "\(first), \(second): \(dot)")
            }
        }
        let identity = try dense(["kernel_initializer": .object(["class_name": .string("Identity"), "config": .object(["gain": .number(1.5)])])],
                                 inputs: inputs, units: units)
        let eye = drawn(identity).prefix(inputs * units)
        #expect(eye.enumerated().allSatisfy { $1 == ($0 / units == $0 % units ? gain : 0) })
        let convolution = KerasLayerConfiguration(className: "Conv2D", name: "c", config: [
            "filters": .number(2), "kernel_size": .number(3), "kernel_initializer": .string("identity")])
        #expect { _ = try LayerRegistry.make(convolution, inputShape: TensorShape(height: 5, width: 5, channels: 1), context: LayerBuildContext()) }
            throws: { "\($0)" == "c: kernel_initializer identity is not supported (Keras builds it for Dense kernels only)" }
    }

    @Test("The default draws Glorot-uniform kernels exactly as before, (2u − 1)·√(6/(in + out)) in flat order, and zero biases")
    func defaultIsUnchanged() throws {
        let layer = try dense([:], inputs: 7, units: 5)
        var generator = RandomGenerator(seed: 9)
        let limit = Float((6.0 / 12.0).squareRoot())
        let expected = (0..<35).map { _ in (2 * generator.nextUnitFloat() - 1) * limit } + [Float](repeating: 0, count: 5)
        #expect(drawn(layer) == expected)
    }

    @Test("He, LeCun and Glorot draws have Keras's spread: uniform within ±√(3·scale/fan), truncated normals within two of their deviations, standard deviations within 3%")
    func distributions() throws {
        let fanIn = 300.0, fanAverage = 250.0
        let cases: [(String, Double, Double)] = [   // name, variance, bound
            ("he_uniform", 2 / fanIn, (6 / fanIn).squareRoot()),
            ("lecun_uniform", 1 / fanIn, (3 / fanIn).squareRoot()),
            ("he_normal", 2 / fanIn, 2 * (2 / fanIn).squareRoot() / 0.87962566103423978),
            ("glorot_normal", 1 / fanAverage, 2 * (1 / fanAverage).squareRoot() / 0.87962566103423978),
        ]
        for (name, variance, bound) in cases {
            let values = drawn(try dense(["kernel_initializer": .string(name)]))[0..<60_000].map(Double.init)
            let mean = values.reduce(0, +) / Double(values.count)
            let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
            #expect(abs(deviation / variance.squareRoot() - 1) < 0.03, "\(name): deviation \(deviation) vs \(variance.squareRoot())")
            #expect(abs(mean) < 0.05 * variance.squareRoot(), "\(name): mean \(mean)")
            #expect(values.allSatisfy { abs($0) <= bound * (1 + 1e-6) }, "\(name): beyond \(bound)")
        }
    }

    @Test("The logarithm the normal draws use is the C library's to 1e-15, from IEEE arithmetic alone")
    func logarithm() {
        var generator = RandomGenerator(seed: 4)
        for _ in 0..<10_000 {
            let x = max(Double(generator.next() >> 11) * 0x1p-53, 1e-300)
            #expect(abs(Initializer.naturalLogarithm(x) - Foundation.log(x)) <= 1e-15 * max(1, abs(Foundation.log(x))))
        }
    }
}
