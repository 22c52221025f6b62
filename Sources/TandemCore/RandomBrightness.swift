/// Keras's `RandomBrightness`: in training, one value drawn uniformly in `factor` (`f` for `−f…f`),
/// times the width of `value_range`, added to every pixel of an image, then clipped to `value_range`; in
/// inference, the identity. Draws as `RandomFlip`'s: from (seed, epoch, sample, layer). An augmentation
/// layer.
package struct RandomBrightness: KerasLayer, AugmentationLayer {
    package let name: String
    package let inputShape: TensorShape
    package let factors: ClosedRange<Float>
    package let valueRange: ClosedRange<Float>
    package let position: Int

    package var outputShape: TensorShape { inputShape }
    package var kind: String { "RandomBrightness" }
    package var summaryDetail: String { "brightness \(factors.lowerBound)…\(factors.upperBound)" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package static let kerasClassNames = ["RandomBrightness"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        name = configuration.name
        self.inputShape = inputShape
        factors = try configuration.factorRange(bounds: -1...1)
        valueRange = try configuration.valueRange()
        position = context.index
    }

    package func forward(_ memory: LayerMemory) {
        let count = inputShape.count, width = valueRange.upperBound - valueRange.lowerBound
        forEachSample(memory, position: position) { generator, input, output in
            let delta = generator.nextFloat(in: factors) * width
            for index in 0..<count {
                output[index] = min(max(input[index] + delta, valueRange.lowerBound), valueRange.upperBound)
            }
        }
    }
}
