/// Keras's `RandomFlip`: in training, each sample is mirrored left–right and/or top–bottom, each with
/// probability ½; in inference, the identity. The draws come from `(seed, epoch, sample index, layer
/// position)` (`RandomStream.sample`), so they do not depend on the rank computing the sample (they are
/// not TensorFlow's draws). An augmentation layer: it must come before every layer with weights.
public struct RandomFlip: KerasLayer, AugmentationLayer {
    public let name: String
    public let inputShape: TensorShape
    public let horizontal: Bool
    public let vertical: Bool
    public let position: Int

    public var outputShape: TensorShape { inputShape }
    public var kind: String { "RandomFlip" }
    public var summaryDetail: String { [horizontal ? "horizontal" : nil, vertical ? "vertical" : nil].compactMap { $0 }.joined(separator: "_and_") }
    public var parameterBlocks: [ParameterBlock] { [] }

    public init(name: String = "random_flip", inputShape: TensorShape, horizontal: Bool, vertical: Bool, position: Int) {
        self.name = name
        self.inputShape = inputShape
        self.horizontal = horizontal
        self.vertical = vertical
        self.position = position
    }

    public static let kerasClassNames = ["RandomFlip"]

    public init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        let mode = try configuration.choice("mode", default: "horizontal_and_vertical",
                                            allowed: ["horizontal", "vertical", "horizontal_and_vertical"])
        self.init(name: configuration.name, inputShape: inputShape, horizontal: mode != "vertical",
                  vertical: mode != "horizontal", position: context.index)
    }

    public func forward(_ memory: LayerMemory) {
        let (height, width, channels) = (inputShape.height, inputShape.width, inputShape.channels)
        for sample in 0..<memory.count {
            var flipRows = false, flipColumns = false
            if memory.samples.training {
                var generator = memory.samples.stream(sample: sample, layer: position)
                flipColumns = horizontal && generator.nextUnitFloat() < 0.5
                flipRows = vertical && generator.nextUnitFloat() < 0.5
            }
            let input = memory.input + sample * inputShape.count, output = memory.output + sample * inputShape.count
            for row in 0..<height {
                let sourceRow = flipRows ? height - 1 - row : row
                for column in 0..<width {
                    let sourceColumn = flipColumns ? width - 1 - column : column
                    (output + (row * width + column) * channels)
                        .update(from: input + (sourceRow * width + sourceColumn) * channels, count: channels)
                }
            }
        }
    }
}
