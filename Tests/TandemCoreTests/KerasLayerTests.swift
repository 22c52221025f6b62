import Foundation
import Testing
@testable import TandemCore

/// Every layer that works on one sample at a time against real Keras (`Tests/Fixtures/keras-layers`,
/// written by its generate.py): the layer rebuilt from Keras's own config and weights, run on Keras's
/// inputs, must give Keras's outputs, input gradients and weight gradients to 1e-4 (relative).
/// Batch-norm, whose statistics span the batch, has its own test (BatchNormalizationTests).
struct KerasLayerTests {
    static let fixtures = [
        "conv2d-same-relu", "conv2d-valid-stride2-tanh", "conv2d-same-stride2-no-bias", "conv2d-1x1-sigmoid",
        "dense-relu", "dense-sigmoid-no-bias", "dense-tanh",
        "max-pooling-valid", "max-pooling-same-stride1", "average-pooling-same", "average-pooling-valid",
        "global-average-pooling", "global-max-pooling", "flatten", "activation-sigmoid", "activation-tanh", "relu",
        "layer-normalization", "layer-normalization-dense", "group-normalization", "group-normalization-no-center",
    ]

    @Test("Forward, input gradient and weight gradients match Keras to 1e-4", arguments: fixtures)
    func matchesKeras(name: String) throws {
        let fixture = try BatchNormalizationTests.fixture(name)
        let shape = fixture.input_shape.count == 3
            ? TensorShape(height: fixture.input_shape[0], width: fixture.input_shape[1], channels: fixture.input_shape[2])
            : TensorShape.vector(fixture.input_shape[0])
        let layer = try LayerRegistry.make(KerasLayerConfiguration(className: fixture.class_name, name: "layer", config: fixture.config),
                                           inputShape: shape, context: LayerBuildContext())
        let harness = LayerHarness(layer)
        harness.parameters.copy(from: fixture.weights.flatMap { $0 })
        let size = shape.count, outputSize = layer.outputShape.count
        #expect(fixture.output.count == fixture.batch * outputSize, "Keras's output shape")
        var output: [Float] = [], inputGradient: [Float] = []
        var weightGradient = [Double](repeating: 0, count: layer.parameterCount)
        for sample in 0..<fixture.batch {
            for index in 0..<size { harness.input[index] = fixture.input[sample * size + index] }
            let gradients = harness.backward(outputGradient: Array(fixture.projection[sample * outputSize..<(sample + 1) * outputSize]))
            output += harness.output.array
            inputGradient += gradients.input
            for index in 0..<layer.parameterCount { weightGradient[index] += Double(gradients.parameters[index]) }
        }
        #expect(relativeDifference(output, fixture.output) < 1e-4, "output")
        #expect(relativeDifference(inputGradient, fixture.input_gradient) < 1e-4, "input gradient")
        if layer.parameterCount > 0 {
            #expect(relativeDifference(weightGradient.map { Float($0) }, fixture.weight_gradients.flatMap { $0 }) < 1e-4, "weight gradients")
        }
    }
}
