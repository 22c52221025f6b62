/// Keras's `RandomFlip`: in training, each sample is mirrored left–right and/or top–bottom, each with
/// probability ½; in inference, the identity. The draws come from `(seed, epoch, sample index, layer
/// position)` (`RandomStream.sample`), so they do not depend on the rank computing the sample (they are
/// not TensorFlow's draws). An augmentation layer: it must come before every layer with weights.
package struct RandomFlip: KerasLayer, AugmentationLayer {
    package let name: String
    package let inputShape: TensorShape
    package let horizontal: Bool
    package let vertical: Bool
    package let position: Int

    package var outputShape: TensorShape { inputShape }
    package var kind: String { "RandomFlip" }
    package var summaryDetail: String { [horizontal ? "horizontal" : nil, vertical ? "vertical" : nil].compactMap { $0 }.joined(separator: "_and_") }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "random_flip", inputShape: TensorShape, horizontal: Bool, vertical: Bool, position: Int) {
        self.name = name
        self.inputShape = inputShape
        self.horizontal = horizontal
        self.vertical = vertical
        self.position = position
    }

    package static let kerasClassNames = ["RandomFlip"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        let mode = try configuration.choice("mode", default: "horizontal_and_vertical",
                                            allowed: ["horizontal", "vertical", "horizontal_and_vertical"])
        self.init(name: configuration.name, inputShape: inputShape, horizontal: mode != "vertical",
                  vertical: mode != "horizontal", position: context.index)
    }

    package func forward(_ memory: LayerMemory) {
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
