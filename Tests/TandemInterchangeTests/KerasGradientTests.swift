import Foundation
import Testing
import TandemCore
import TandemData
@testable import TandemInterchange

/// Whole graph models against real Keras (`Tests/Fixtures/keras-gradients`, made by its generate.py):
/// at the weights Keras saved, the loss of one fixed batch and the gradient of every weight tensor are
/// Keras's. This checks the graph's wiring (which tensor feeds which layer, in which order), the merge
/// layers' arithmetic and the sums of gradients where a tensor feeds several layers.
struct KerasGradientTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/keras-gradients")

    struct Expected: Decodable {
        let images: [Float]
        let labels: [Int]
        let loss: Double
        /// The weight regularisers' penalty, whose gradient is in `layers`.
        let penalty: Double
        /// Per layer name, the gradient of each weight tensor in Keras's order (nil: not trainable).
        let layers: [String: [[Float]?]]
        /// Per layer name, Keras's weights in its order.
        let weights: [String: [[Float]]]
    }

    @Test("Residual (batch-norm, identity and projection shortcuts) and merge graphs (Add, Subtract, Multiply with broadcasting, Average, Maximum, Minimum, Concatenate on three axes), MobileNet blocks (depthwise, separable and dilated convolutions), a frozen base, every regulariser form, a binary classifier (one sigmoid unit, binary cross-entropy), activity regularisers (their terms in the loss): Keras's loss and penalty, and every weight tensor's gradient within 1e-4 of Keras's (‖Δ‖/‖g‖; the regularisers' part added as the optimizer adds it)",
          arguments: ["residual-cnn", "merge-cnn", "mobile-cnn", "transfer-cnn", "regularized-cnn", "binary-cnn", "activity-cnn"])
    func lossAndGradientsMatchKeras(name: String) throws {
        let description = ModelDescriptionTestsFixtures.path("supported/\(name).json")
        let model = try Model(description: ModelDescription(json: String(contentsOfFile: description, encoding: .utf8), source: description))
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("\(name).json")))
        var parameters = [Float](repeating: .nan, count: model.parameterCount)
        for (index, layer) in model.layers.enumerated() where layer.parameterCount > 0 {
            let values = try #require(expected.weights[layer.name], "\(layer.name) has no weights from Keras").joined()
            #expect(values.count == layer.parameterCount, "\(layer.name)")
            parameters.replaceSubrange(model.parameterOffsets[index]..<model.parameterOffsets[index] + layer.parameterCount, with: values)
        }
        let samples = expected.labels.count
        let workspace = ModelWorkspace(model: model, capacity: samples)
        for (index, value) in expected.images.enumerated() { workspace.input[index] = value }
        workspace.count = samples
        var gradient = [Float](repeating: .nan, count: model.parameterCount)
        let result = parameters.withUnsafeBufferPointer { parameters in
            model.prepare(parameters: parameters.baseAddress!, workspace: workspace)
            return gradient.withUnsafeMutableBufferPointer { gradient in
                model.lossAndGradient(labels: { expected.labels[$0] }, scale: 1 / Float(samples), parameters: parameters.baseAddress!,
                                      parameterGradient: gradient.baseAddress!, workspace: workspace)
            }
        }
        let loss = Double(result.lossSum) / Double(samples)
        #expect(abs(loss - expected.loss) / expected.loss < 1e-5, "loss \(loss) vs Keras \(expected.loss)")
        let penalty = parameters.withUnsafeBufferPointer { model.regularizationPenalty($0.baseAddress!) }
        #expect(abs(penalty - expected.penalty) <= 1e-5 * max(expected.penalty, 1e-3), "penalty \(penalty) vs Keras \(expected.penalty)")
        #expect((expected.penalty > 0) == !model.regularization.isEmpty)
        // The regularisers' gradient as the optimizer adds it: one SGD step of rate 1 moves each weight by
        // its whole gradient.
        var settings = OptimizerSettings()
        settings.kind = .sgd
        let optimizer = Optimizer(parameterCount: model.parameterCount, settings: settings, trainableRanges: model.trainableRanges,
                                  regularization: model.regularization)
        let stepped = FloatBuffer(count: model.parameterCount)
        stepped.copy(from: parameters)
        gradient.withUnsafeBufferPointer { optimizer.update(parameters: stepped, gradient: $0.baseAddress!, learningRate: 1) }
        gradient = zip(parameters, stepped.array).map { $0 - $1 }

        var compared = 0
        for (index, layer) in model.layers.enumerated() where layer.parameterCount > 0 {
            let keras = try #require(expected.layers[layer.name], "\(layer.name) has no gradients from Keras")
            var offset = model.parameterOffsets[index]
            for (block, kerasGradient) in zip(layer.parameterBlocks, keras) {
                let ours = Array(gradient[offset..<offset + block.count])
                if let kerasGradient {
                    #expect(relativeDifference(ours, kerasGradient) <= 1e-4, "\(layer.name) \(block.name): ‖Δ‖/‖g‖ = \(relativeDifference(ours, kerasGradient))")
                    compared += 1
                } else {
                    #expect(ours.allSatisfy { $0 == 0 }, "\(layer.name) \(block.name) is not trainable")
                }
                offset += block.count
            }
        }
        #expect(compared == expected.layers.values.reduce(0) { $0 + $1.compactMap { $0 }.count })
    }
}

/// The Keras model descriptions of `Tests/Fixtures/keras-models`.
enum ModelDescriptionTestsFixtures {
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/keras-models/\(name)").path
    }
}

/// ‖a − b‖ / ‖b‖.
private func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var difference = 0.0, norm = 0.0
    for (x, y) in zip(a, b) {
        difference += Double(x - y) * Double(x - y)
        norm += Double(y) * Double(y)
    }
    return (difference / max(norm, 1e-30)).squareRoot()
}
