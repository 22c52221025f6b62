import Foundation

/// Keras's `RandomTranslation`: in training, each sample is shifted by a random fraction of its height
/// and width (`height_factor`, `width_factor`: ±f or a range), read back with TensorFlow's
/// interpolation (`bilinear` or `nearest`) and fill modes (`reflect`, `wrap`, `nearest`, `constant`);
/// in inference, the identity. Draws as `RandomFlip`'s. An augmentation layer: it must come before
/// every layer with weights.
package struct RandomTranslation: KerasLayer, AugmentationLayer {
    package let name: String
    package let inputShape: TensorShape
    /// Fractions of the height and width: the shift is drawn uniformly in `lower…upper` times the size.
    package let heightRange: ClosedRange<Float>
    package let widthRange: ClosedRange<Float>
    package let resampling: AffineResampling
    package let position: Int

    package var outputShape: TensorShape { inputShape }
    package var kind: String { "RandomTranslation" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "random_translation", inputShape: TensorShape, heightRange: ClosedRange<Float>,
                 widthRange: ClosedRange<Float>, fillMode: AffineResampling.FillMode = .reflect,
                 interpolation: AffineResampling.Interpolation = .bilinear, fillValue: Float = 0, position: Int) {
        self.name = name
        self.inputShape = inputShape
        self.heightRange = heightRange
        self.widthRange = widthRange
        resampling = AffineResampling(shape: inputShape, fillMode: fillMode, interpolation: interpolation, fillValue: fillValue)
        self.position = position
    }

    package static let kerasClassNames = ["RandomTranslation"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        let resampling = try AffineResampling(keras: configuration, shape: inputShape)
        self.init(name: configuration.name, inputShape: inputShape,
                  heightRange: try configuration.fractionRange("height_factor"), widthRange: try configuration.fractionRange("width_factor"),
                  fillMode: resampling.fillMode, interpolation: resampling.interpolation, fillValue: resampling.fillValue,
                  position: context.index)
    }

    package func forward(_ memory: LayerMemory) {
        forEachSample(memory, position: position) { generator, input, output in
            let shiftDown = generator.nextFloat(in: heightRange) * Float(inputShape.height)
            let shiftRight = generator.nextFloat(in: widthRange) * Float(inputShape.width)
            translate(input, by: (shiftDown, shiftRight), into: output)
        }
    }

    /// `output(y, x) = input(y − down, x − right)`: Keras's transform `[1, 0, −right, 0, 1, −down]`.
    func translate(_ input: UnsafePointer<Float>, by shift: (down: Float, right: Float), into output: UnsafeMutablePointer<Float>) {
        resampling.resample(input, transform: AffineTransform(a0: 1, a1: 0, a2: -shift.right, b0: 0, b1: 1, b2: -shift.down), into: output)
    }
}

extension KerasLayerConfiguration {
    /// A factor as Keras's augmentation layers write it: `f` for `−|f|…|f|`, or `[lower, upper]`, each a
    /// fraction in −1…1.
    func fractionRange(_ key: String) throws -> ClosedRange<Float> {
        guard let value = config[key], value != .null else { throw error("\(key) is missing") }
        let numbers = (value.array ?? [value]).compactMap(\.number)
        guard (1...2).contains(numbers.count), numbers.allSatisfy({ abs($0) <= 1 }) else {
            throw error("\(key) \(value.displayText) must be a fraction in -1…1 or a pair of them")
        }
        let (lower, upper) = numbers.count == 1 ? (-abs(numbers[0]), abs(numbers[0])) : (numbers[0], numbers[1])
        guard lower <= upper else { throw error("\(key) \(value.displayText): the lower bound exceeds the upper") }
        return Float(lower)...Float(upper)
    }
}
