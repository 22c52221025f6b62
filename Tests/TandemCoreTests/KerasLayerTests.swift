import Foundation
import Testing
@testable import TandemCore

/// Every layer whose samples do not interact against real Keras (`Tests/Fixtures/keras-layers`,
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
        "relu6", "relu-options", "leaky-relu", "elu-layer", "activation-relu6", "activation-leaky-relu", "activation-elu",
        "activation-selu", "activation-gelu", "activation-silu", "activation-swish", "activation-softplus", "activation-softsign",
        "activation-hard-sigmoid", "activation-hard-silu", "activation-mish", "zero-padding", "zero-padding-symmetric", "cropping", "rescaling",
        "reshape-to-image", "reshape-to-vector", "reshape-image",
        "conv2d-dilated", "conv2d-dilated-valid-1x7", "depthwise-same-stride2", "depthwise-multiplier-dilated", "depthwise-5x5-no-bias",
        "separable-relu", "separable-multiplier-stride2",
        "normalization-adapted", "normalization-inverted", "normalization-constants", "normalization-vector",
        "conv2d-silu", "dense-gelu", "depthwise-swish", "separable-elu",
        "upsampling-nearest", "upsampling-bilinear", "resizing-bilinear-down", "resizing-bilinear-up", "resizing-nearest",
        "center-crop", "center-crop-smaller", "center-crop-mixed", "prelu", "prelu-shared", "prelu-vector",
    ]

    @Test("Forward, input gradient and weight gradients match Keras to 1e-4", arguments: fixtures)
    func matchesKeras(name: String) throws {
        let fixture = try BatchNormalizationTests.fixture(name)
        let shape = fixture.input_shape.count == 3
            ? TensorShape(height: fixture.input_shape[0], width: fixture.input_shape[1], channels: fixture.input_shape[2])
            : TensorShape.vector(fixture.input_shape[0])
        let layer = try LayerRegistry.make(KerasLayerConfiguration(className: fixture.class_name, name: "layer", config: fixture.config),
                                           inputShape: shape, context: LayerBuildContext())
        // The fixture's batch as one block, as Keras computes it: the weight gradients are the block's sum.
        let harness = LayerHarness(layer, count: fixture.batch)
        harness.parameters.copy(from: fixture.weights.flatMap { $0 })
        #expect(fixture.output.count == fixture.batch * layer.outputShape.count, "Keras's output shape")
        harness.input.copy(from: fixture.input)
        let gradients = harness.backward(outputGradient: fixture.projection)
        let output = harness.output.array, inputGradient = gradients.input, weightGradient = gradients.parameters
        #expect(relativeDifference(output, fixture.output) < 1e-4, "output")
        #expect(relativeDifference(inputGradient, fixture.input_gradient) < 1e-4, "input gradient")
        if layer.trainableParameterCount > 0 {
            #expect(relativeDifference(weightGradient, fixture.weight_gradients.flatMap { $0 }) < 1e-4, "weight gradients")
        }
    }
}
