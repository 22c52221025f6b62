import Foundation
import Testing
@testable import TandemCore

/// Batch-normalisation in training mode against real Keras (`Tests/Fixtures/keras-layers`, made by its
/// generate.py): the batch statistics over the whole batch, the output, the input and weight gradients,
/// the moving statistics after the step, and inference with them.
struct BatchNormalizationTests {
    struct Fixture: Decodable {
        let class_name: String
        let config: [String: JSONValue]
        let input_shape: [Int]
        let batch: Int
        let input, projection, output, input_gradient, inference_output: [Float]
        let weights, weight_gradients, weights_after: [[Float]]
    }

    static func fixture(_ name: String) throws -> Fixture { try kerasLayerFixture(name) }

    /// What the trainer does for one batch-norm layer, on one process, with the fixture's batch cut into
    /// blocks of `blockSize`: per-block sums over samples and positions, added over the blocks (exactly
    /// in the trainer; in doubles here), then every block normalised; backward alike.
    @Test("Training forward, backward and moving statistics match Keras to 1e-4, in blocks of 1, 2 and the whole batch",
          arguments: ["batch-normalization-spatial", "batch-normalization-dense", "batch-normalization-no-scale"], [1, 2, 0])
    func matchesKeras(name: String, blockSize: Int) throws {
        let fixture = try Self.fixture(name)
        let shape = fixture.input_shape.count == 3
            ? TensorShape(height: fixture.input_shape[0], width: fixture.input_shape[1], channels: fixture.input_shape[2])
            : TensorShape.vector(fixture.input_shape[0])
        let layer = try #require(try LayerRegistry.make(KerasLayerConfiguration(className: fixture.class_name, name: "bn", config: fixture.config),
                                                        inputShape: shape, context: LayerBuildContext()) as? BatchNormalization)
        let channels = layer.channels, size = shape.count, batch = fixture.batch
        let blockSize = blockSize == 0 ? batch : blockSize
        let blocks = stride(from: 0, to: batch, by: blockSize).map { $0..<min($0 + blockSize, batch) }
        let harnesses = blocks.map { LayerHarness(layer, count: $0.count) }
        for (block, harness) in zip(blocks, harnesses) {
            harness.input.copy(from: Array(fixture.input[block.lowerBound * size..<block.upperBound * size]))
            harness.parameters.copy(from: fixture.weights.flatMap { $0 })
        }
        let count = batch * shape.height * shape.width
        var blockSums = [Float](repeating: 0, count: 2 * channels)
        func batchSums(_ body: (LayerHarness, UnsafeMutablePointer<Float>) -> Void, width: Int) -> [Float] {
            var total = [Double](repeating: 0, count: width)
            for harness in harnesses {
                blockSums.withUnsafeMutableBufferPointer { body(harness, $0.baseAddress!) }
                for index in 0..<width { total[index] += Double(blockSums[index]) }
            }
            return total.map { Float($0) }
        }
        let mean = batchSums({ layer.channelSums(of: $0.input.pointer, count: $0.count, centeredOn: nil, into: $1) },
                             width: channels).map { $0 / Float(count) }
        let variance = batchSums({ harness, sums in
            mean.withUnsafeBufferPointer { layer.channelSums(of: harness.input.pointer, count: harness.count, centeredOn: $0.baseAddress!, into: sums) }
        }, width: channels).map { $0 / Float(count) }
        var output: [Float] = []
        for harness in harnesses {
            layer.normalize(harness.memory, mean: mean, variance: variance)
            output += harness.output.array
        }
        #expect(relativeDifference(output, fixture.output) < 1e-4, "output")

        for (block, harness) in zip(blocks, harnesses) {
            harness.outputGradient.copy(from: Array(fixture.projection[block.lowerBound * size..<block.upperBound * size]))
        }
        var parameterGradient = [Double](repeating: 0, count: layer.parameterCount)
        let gradientSums = batchSums({ harness, sums in
            layer.gradientSums(harness.memory, into: sums)
            for index in 0..<layer.parameterCount { parameterGradient[index] += Double(harness.parameterGradient[index]) }
        }, width: 2 * channels)
        var inputGradient: [Float] = []
        for harness in harnesses {
            layer.inputGradient(harness.memory, variance: variance, sums: gradientSums, count: count)
            inputGradient += harness.inputGradient.array
        }
        #expect(relativeDifference(inputGradient, fixture.input_gradient) < 1e-4, "input gradient")
        let trainable = fixture.weight_gradients.flatMap { $0 }
        #expect(relativeDifference(parameterGradient.prefix(trainable.count).map { Float($0) }, trainable) < 1e-4, "weight gradients")
        #expect(parameterGradient.dropFirst(trainable.count).allSatisfy { $0 == 0 }, "moving statistics have no gradient")

        let parameters = harnesses[0].parameters
        layer.updateMovingStatistics(parameters.pointer, mean: mean, variance: variance)
        #expect(relativeDifference(parameters.array, fixture.weights_after.flatMap { $0 }) < 1e-5, "moving statistics")

        var inference: [Float] = []
        for harness in harnesses {
            harness.parameters.copy(from: parameters.array)
            inference += harness.forward()   // prepare() then the inference pass
        }
        #expect(relativeDifference(inference, fixture.inference_output) < 1e-4, "inference")
    }

    @Test("The inference pass's backward (moving statistics held constant) matches finite differences")
    func inferenceGradient() throws {
        let layer = BatchNormalization(inputShape: TensorShape(height: 3, width: 2, channels: 5))
        let values = randomValues(15, seed: 4) + randomValues(5, seed: 5).map { 1 + $0 / 2 }   // variance in [0.5, 1.5]
        GradientCheckTests().check(layer, parameters: values)
    }
}
