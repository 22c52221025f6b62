import Foundation

/// Keras's `RandomRotation`: in training, each sample is turned about its centre by an angle drawn
/// uniformly in `factor` (a fraction of a full turn: `f` for `−|f|…|f|`, or `[lower, upper]`), read back
/// with TensorFlow's interpolation and fill modes (`AffineResampling`); in inference, the identity.
/// Draws as `RandomFlip`'s: from (seed, epoch, sample, layer), the same at any rank count. An
/// augmentation layer: it must come before every layer with weights.
package struct RandomRotation: KerasLayer, AugmentationLayer {
    package let name: String
    package let inputShape: TensorShape
    /// Fractions of a full turn.
    package let range: ClosedRange<Float>
    package let resampling: AffineResampling
    package let position: Int

    package var outputShape: TensorShape { inputShape }
    package var kind: String { "RandomRotation" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "random_rotation", inputShape: TensorShape, range: ClosedRange<Float>,
                 resampling: AffineResampling? = nil, position: Int) {
        self.name = name
        self.inputShape = inputShape
        self.range = range
        self.resampling = resampling ?? AffineResampling(shape: inputShape)
        self.position = position
    }

    package static let kerasClassNames = ["RandomRotation"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        self.init(name: configuration.name, inputShape: inputShape, range: try configuration.fractionRange("factor"),
                  resampling: try AffineResampling(keras: configuration, shape: inputShape), position: context.index)
    }

    package func forward(_ memory: LayerMemory) {
        forEachSample(memory, position: position) { generator, input, output in
            let turns = generator.nextFloat(in: range)
            rotate(input, degrees: turns * 360, into: output)
        }
    }

    /// The image turned by `degrees` about its centre, with Keras's matrix: output `(x, y)` reads
    /// `R(x − cx, y − cy) + (cx, cy)`, `cx = (width − 1) / 2`, `cy = (height − 1) / 2`.
    func rotate(_ input: UnsafePointer<Float>, degrees: Float, into output: UnsafeMutablePointer<Float>) {
        // The angle in floats as Keras computes it; its cosine and sine in doubles, rounded once, so that
        // they do not depend on the C library's last bit: every rank and machine turns a sample alike.
        let angle = degrees * Float(Double.pi / 180)
        let (cosine, sine) = (Float(Foundation.cos(Double(angle))), Float(Foundation.sin(Double(angle))))
        let centerX = 0.5 * Float(inputShape.width - 1), centerY = 0.5 * Float(inputShape.height - 1)
        let transform = AffineTransform(a0: cosine, a1: -sine, a2: centerX - centerX * cosine - centerY * -sine,
                                        b0: sine, b1: cosine, b2: centerY - centerX * sine - centerY * cosine)
        resampling.resample(input, transform: transform, into: output)
    }
}
