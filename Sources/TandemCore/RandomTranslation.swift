import Foundation

/// Keras's `RandomTranslation`: in training, each sample is shifted by a random fraction of its height
/// and width (`height_factor`, `width_factor`: ±f or a range), read back with TensorFlow's
/// interpolation (`bilinear` or `nearest`) and fill modes (`reflect`, `wrap`, `nearest`, `constant`);
/// in inference, the identity. Draws as `RandomFlip`'s. An augmentation layer: it must come before
/// every layer with weights.
public struct RandomTranslation: KerasLayer, AugmentationLayer {
    public enum FillMode: String, Sendable { case reflect, wrap, nearest, constant }
    public enum Interpolation: String, Sendable { case bilinear, nearest }

    public let name: String
    public let inputShape: TensorShape
    /// Fractions of the height and width: the shift is drawn uniformly in `lower…upper` times the size.
    public let heightRange: ClosedRange<Float>
    public let widthRange: ClosedRange<Float>
    public let fillMode: FillMode
    public let interpolation: Interpolation
    public let fillValue: Float
    public let position: Int

    public var outputShape: TensorShape { inputShape }
    public var kind: String { "RandomTranslation" }
    public var parameterBlocks: [ParameterBlock] { [] }

    public init(name: String = "random_translation", inputShape: TensorShape, heightRange: ClosedRange<Float>,
                widthRange: ClosedRange<Float>, fillMode: FillMode = .reflect, interpolation: Interpolation = .bilinear,
                fillValue: Float = 0, position: Int) {
        self.name = name
        self.inputShape = inputShape
        self.heightRange = heightRange
        self.widthRange = widthRange
        self.fillMode = fillMode
        self.interpolation = interpolation
        self.fillValue = fillValue
        self.position = position
    }

    public static let kerasClassNames = ["RandomTranslation"]

    public init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        func range(_ key: String) throws -> ClosedRange<Float> {
            guard let value = configuration.config[key], value != .null else { throw configuration.error("\(key) is missing") }
            let numbers = (value.array ?? [value]).compactMap(\.number)
            guard (1...2).contains(numbers.count), numbers.allSatisfy({ abs($0) <= 1 }) else {
                throw configuration.error("\(key) \(value.displayText) must be a fraction in -1…1 or a pair of them")
            }
            let (lower, upper) = numbers.count == 1 ? (-abs(numbers[0]), abs(numbers[0])) : (numbers[0], numbers[1])
            guard lower <= upper else { throw configuration.error("\(key) \(value.displayText): the lower bound exceeds the upper") }
            return Float(lower)...Float(upper)
        }
        self.init(name: configuration.name, inputShape: inputShape,
                  heightRange: try range("height_factor"), widthRange: try range("width_factor"),
                  fillMode: FillMode(rawValue: try configuration.choice("fill_mode", default: "reflect",
                                                                         allowed: ["reflect", "wrap", "nearest", "constant"]))!,
                  interpolation: Interpolation(rawValue: try configuration.choice("interpolation", default: "bilinear",
                                                                                  allowed: ["bilinear", "nearest"]))!,
                  fillValue: Float(try configuration.number("fill_value", default: 0, in: -1e30...1e30)),
                  position: context.index)
    }

    public func forward(_ memory: LayerMemory) {
        guard memory.samples.training else {
            memory.output.update(from: memory.input, count: memory.count * inputShape.count)
            return
        }
        for sample in 0..<memory.count {
            var generator = memory.samples.stream(sample: sample, layer: position)
            let shiftDown = (heightRange.lowerBound + (heightRange.upperBound - heightRange.lowerBound) * generator.nextUnitFloat())
                * Float(inputShape.height)
            let shiftRight = (widthRange.lowerBound + (widthRange.upperBound - widthRange.lowerBound) * generator.nextUnitFloat())
                * Float(inputShape.width)
            translate(memory.input + sample * inputShape.count, by: (shiftDown, shiftRight),
                      into: memory.output + sample * inputShape.count)
        }
    }

    /// `output(y, x) = input(y − down, x − right)`, as TensorFlow's `ImageProjectiveTransformV3`.
    func translate(_ input: UnsafePointer<Float>, by shift: (down: Float, right: Float), into output: UnsafeMutablePointer<Float>) {
        let (height, width, channels) = (inputShape.height, inputShape.width, inputShape.channels)
        func pixel(_ row: Int, _ column: Int, _ channel: Int) -> Float {
            guard row >= 0, row < height, column >= 0, column < width else { return fillValue }
            return input[(row * width + column) * channels + channel]
        }
        for row in 0..<height {
            let y = map(Float(row) - shift.down, length: height)
            for column in 0..<width {
                let x = map(Float(column) - shift.right, length: width)
                let destination = output + (row * width + column) * channels
                switch interpolation {
                case .nearest:
                    let (sourceRow, sourceColumn) = (Int(y.rounded()), Int(x.rounded()))
                    for channel in 0..<channels { destination[channel] = pixel(sourceRow, sourceColumn, channel) }
                case .bilinear:
                    let (top, left) = (Int(y.rounded(.down)), Int(x.rounded(.down)))
                    let (down, right) = (y - Float(top), x - Float(left))
                    for channel in 0..<channels {
                        let upper = (1 - right) * pixel(top, left, channel) + right * pixel(top, left + 1, channel)
                        let lower = (1 - right) * pixel(top + 1, left, channel) + right * pixel(top + 1, left + 1, channel)
                        destination[channel] = (1 - down) * upper + down * lower
                    }
                }
            }
        }
    }

    /// A source coordinate outside `0…length−1` mapped as the fill mode says (TensorFlow's
    /// `map_coordinate`); `constant` leaves it outside, to be read as the fill value.
    func map(_ coordinate: Float, length: Int) -> Float {
        let size = Float(length)
        switch fillMode {
        case .constant:
            return coordinate
        case .nearest:
            return min(max(coordinate, 0), size - 1)
        case .reflect:
            guard length > 1 else { return 0 }
            var value = coordinate
            let period = 2 * size
            if value < 0 {
                if value < -period { value += period * Float(Int(-value / period)) }
                value = value < -size ? value + period : -value - 1
            } else if value > size - 1 {
                value -= period * Float(Int(value / period))
                if value >= size { value = period - value - 1 }
            }
            return min(max(value, 0), size - 1)
        case .wrap:
            guard length > 1 else { return 0 }
            var value = coordinate
            if value < 0 {
                value += size * Float(Int(-value / (size - 1)) + 1)
            } else if value > size - 1 {
                value -= size * Float(Int(value / (size - 1)))
            }
            return min(max(value, 0), size - 1)
        }
    }
}
