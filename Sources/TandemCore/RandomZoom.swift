/// Keras's `RandomZoom`: in training, each image scaled about its centre by `1 + h` vertically and
/// `1 + w` horizontally, `h` drawn uniformly in `height_factor` and `w` in `width_factor` (the same `h`
/// when it is not given), read back with TensorFlow's interpolation and fill modes (`AffineResampling`):
/// positive factors zoom out, negative zoom in. In inference, the identity. Draws as `RandomFlip`'s:
/// from (seed, epoch, sample, layer). An augmentation layer.
package struct RandomZoom: KerasLayer, AugmentationLayer {
    package let name: String
    package let inputShape: TensorShape
    package let heightRange: ClosedRange<Float>
    /// `nil`: the height's zoom for both axes.
    package let widthRange: ClosedRange<Float>?
    package let resampling: AffineResampling
    package let position: Int

    package var outputShape: TensorShape { inputShape }
    package var kind: String { "RandomZoom" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package static let kerasClassNames = ["RandomZoom"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        name = configuration.name
        self.inputShape = inputShape
        heightRange = try configuration.fractionRange("height_factor")
        if let width = configuration.config["width_factor"], width != .null {
            widthRange = try configuration.fractionRange("width_factor")
        } else {
            widthRange = nil
        }
        resampling = try AffineResampling(keras: configuration, shape: inputShape)
        position = context.index
    }

    package func forward(_ memory: LayerMemory) {
        forEachSample(memory, position: position) { generator, input, output in
            let height = 1 + heightRange.lowerBound + (heightRange.upperBound - heightRange.lowerBound) * generator.nextUnitFloat()
            let width = widthRange.map { 1 + $0.lowerBound + ($0.upperBound - $0.lowerBound) * generator.nextUnitFloat() } ?? height
            zoom(input, height: height, width: width, into: output)
        }
    }

    /// Keras's zoom matrix: output `(x, y)` reads `(w·x + (W − 1)/2·(1 − w), h·y + (H − 1)/2·(1 − h))`.
    func zoom(_ input: UnsafePointer<Float>, height: Float, width: Float, into output: UnsafeMutablePointer<Float>) {
        let transform = AffineTransform(a0: width, a1: 0, a2: (Float(inputShape.width) - 1) / 2 * (1 - width),
                                        b0: 0, b1: height, b2: (Float(inputShape.height) - 1) / 2 * (1 - height))
        resampling.resample(input, transform: transform, into: output)
    }
}
