/// Keras's `RandomErasing` (Zhong et al. 2017, "Random Erasing Data Augmentation"): in training, each
/// image is erased with a probability drawn uniformly in `factor` (Keras's reading: `f` gives 0…f, so
/// `f` erases a fraction f/2 of the images; `(p, p)` exactly p); the erased rectangle's width and height
/// are √u of the image's, `u` drawn uniformly in `scale` for each side, at a uniform offset, the columns
/// and rows `start ≤ x < start + length` as Keras compares them; it is filled with `fill_value` (a number,
/// or one per channel), or with `value_range`'s upper bound times normal noise, clipped to
/// `value_range`, where that is null (Keras's default). In inference, the identity. Draws as
/// `RandomFlip`'s: from (seed, epoch, sample, layer). An augmentation layer.
package struct RandomErasing: KerasLayer, AugmentationLayer {
    package let name: String
    package let inputShape: TensorShape
    package let probabilities: ClosedRange<Float>
    package let scales: ClosedRange<Float>
    /// One value per channel, or none for clipped normal noise.
    package let fill: [Float]?
    package let valueRange: ClosedRange<Float>
    package let position: Int

    package var outputShape: TensorShape { inputShape }
    package var kind: String { "RandomErasing" }
    package var summaryDetail: String { "probability \(probabilities.lowerBound)…\(probabilities.upperBound), scale \(scales.lowerBound)…\(scales.upperBound)" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package static let kerasClassNames = ["RandomErasing"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        name = configuration.name
        self.inputShape = inputShape
        probabilities = try configuration.config["factor"] == nil ? 0...1 : configuration.factorRange(bounds: 0...1)
        scales = try configuration.config["scale"] == nil ? 0.02...0.33 : configuration.factorRange("scale", bounds: 0...1)
        valueRange = try configuration.valueRange()
        fill = try configuration.perChannel("fill_value", channels: inputShape.channels)?
            .map { [valueRange] in min(max($0, valueRange.lowerBound), valueRange.upperBound) }
        position = context.index
    }

    package func forward(_ memory: LayerMemory) {
        let (height, width, channels) = (inputShape.height, inputShape.width, inputShape.channels)
        forEachSample(memory, position: position) { generator, input, output in
            output.update(from: input, count: inputShape.count)
            // Keras's order: both sides' fractions, the column then the row offset, the probability, the coin.
            let widthFraction = generator.nextFloat(in: scales).squareRoot()
            let heightFraction = generator.nextFloat(in: scales).squareRoot()
            let erasedWidth = widthFraction * Float(width), erasedHeight = heightFraction * Float(height)
            let left = generator.nextUnitFloat() * (Float(width) - erasedWidth)
            let top = generator.nextUnitFloat() * (Float(height) - erasedHeight)
            let probability = generator.nextFloat(in: probabilities)
            guard generator.nextUnitFloat() < probability else { return }
            // Integer x with start ≤ x < start + length: ⌈start⌉ ..< ⌈start + length⌉.
            func covered(start: Float, length: Float, extent: Int) -> Range<Int> {
                min(Int(start.rounded(.up)), extent)..<min(Int((start + length).rounded(.up)), extent)
            }
            let columns = covered(start: left, length: erasedWidth, extent: width)
            for row in covered(start: top, length: erasedHeight, extent: height) {
                for column in columns {
                    let pixel = output + (row * width + column) * channels
                    for channel in 0..<channels {
                        pixel[channel] = fill?[channel] ?? min(max(
                            valueRange.upperBound * Float(Initializer.standardNormal(&generator, truncated: false)),
                            valueRange.lowerBound), valueRange.upperBound)
                    }
                }
            }
        }
    }
}
