import Foundation
import Testing
@testable import TandemCore

/// Layer and group normalisation (per sample) against real Keras, and against finite differences.
struct NormalizationTests {
    @Test("Forward, input gradient and weight gradients match Keras to 1e-4", arguments: [
        "layer-normalization", "layer-normalization-dense", "group-normalization", "group-normalization-no-center"])
    func matchesKeras(name: String) throws {
        let fixture = try BatchNormalizationTests.fixture(name)
        let shape = fixture.input_shape.count == 3
            ? TensorShape(height: fixture.input_shape[0], width: fixture.input_shape[1], channels: fixture.input_shape[2])
            : TensorShape.vector(fixture.input_shape[0])
        let layer = try LayerRegistry.make(KerasLayerConfiguration(className: fixture.class_name, name: "layer", config: fixture.config),
                                           inputShape: shape, context: LayerBuildContext())
        let harness = LayerHarness(layer)
        harness.parameters.copy(from: fixture.weights.flatMap { $0 })
        let size = shape.count
        var output: [Float] = [], inputGradient: [Float] = []
        var weightGradient = [Double](repeating: 0, count: layer.parameterCount)
        for sample in 0..<fixture.batch {
            for index in 0..<size { harness.input[index] = fixture.input[sample * size + index] }
            let gradients = harness.backward(outputGradient: Array(fixture.projection[sample * size..<(sample + 1) * size]))
            output += harness.output.array
            inputGradient += gradients.input
            for index in 0..<layer.parameterCount { weightGradient[index] += Double(gradients.parameters[index]) }
        }
        #expect(relativeDifference(output, fixture.output) < 1e-4, "output")
        #expect(relativeDifference(inputGradient, fixture.input_gradient) < 1e-4, "input gradient")
        #expect(relativeDifference(weightGradient.map { Float($0) }, fixture.weight_gradients.flatMap { $0 }) < 1e-4, "weight gradients")
    }

    @Test("Finite differences: layer normalisation over channels, group normalisation over groups")
    func finiteDifferences() throws {
        GradientCheckTests().check(LayerNormalization(inputShape: TensorShape(height: 3, width: 2, channels: 6)))
        GradientCheckTests().check(LayerNormalization(inputShape: .vector(7), center: false))
        GradientCheckTests().check(try GroupNormalization(inputShape: TensorShape(height: 3, width: 3, channels: 8), groups: 4))
        GradientCheckTests().check(try GroupNormalization(inputShape: TensorShape(height: 2, width: 2, channels: 18), groups: 1,
                                                           scale: false))
    }
}
