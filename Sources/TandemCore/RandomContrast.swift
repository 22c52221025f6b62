/// Keras's `RandomContrast`: in training, each image's channels are pulled towards or pushed from
/// their mean over the image, `(x − mean) · c + mean` with `c` drawn uniformly in `1 − lower…1 + upper`
/// (Keras's reading of `factor`: `f` gives `1…1 + f`), then clipped to `value_range`; in inference,
/// the identity. Draws as `RandomFlip`'s: from (seed, epoch, sample, layer). An augmentation layer.
package struct RandomContrast: KerasLayer, AugmentationLayer {
    package let name: String
    package let inputShape: TensorShape
    package let factors: ClosedRange<Float>
    package let valueRange: ClosedRange<Float>
    package let position: Int

    package var outputShape: TensorShape { inputShape }
    package var kind: String { "RandomContrast" }
    package var summaryDetail: String { "contrast \(factors.lowerBound)…\(factors.upperBound)" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package static let kerasClassNames = ["RandomContrast"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        let range = try configuration.factorRange(bounds: 0...1)
        name = configuration.name
        self.inputShape = inputShape
        factors = (1 - range.lowerBound)...(1 + range.upperBound)
        valueRange = try configuration.valueRange()
        position = context.index
    }

    package func forward(_ memory: LayerMemory) {
        let channels = inputShape.channels, positions = inputShape.height * inputShape.width
        forEachSample(memory, position: position) { generator, input, output in
            let contrast = generator.nextFloat(in: factors)
            for channel in 0..<channels {
                var sum: Float = 0
                for index in stride(from: channel, to: positions * channels, by: channels) { sum += input[index] }
                let mean = sum / Float(positions)
                for index in stride(from: channel, to: positions * channels, by: channels) {
                    output[index] = min(max((input[index] - mean) * contrast + mean, valueRange.lowerBound), valueRange.upperBound)
                }
            }
        }
    }
}
