/// Keras's `GlobalAveragePooling2D` and `GlobalMaxPooling2D`: one value per channel over all positions,
/// a vector of `channels`; with `keepdims` an image of 1×1×`channels` (squeeze-and-excitation's), the
/// same values.
package struct GlobalPooling2D: KerasLayer {
    package enum Reduction: String, Sendable {
        case average, maximum
    }

    package let name: String
    package let inputShape: TensorShape
    package let reduction: Reduction
    /// Keras's `keepdims`: the output is a 1×1 image rather than a vector (the same floats).
    package let keepsDimensions: Bool

    package var outputShape: TensorShape { .vector(inputShape.channels) }
    package var kind: String { reduction == .average ? "GlobalAveragePooling2D" : "GlobalMaxPooling2D" }
    package var summaryDetail: String { keepsDimensions ? "keepdims" : "" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "global_pooling2d", inputShape: TensorShape, reduction: Reduction, keepsDimensions: Bool = false) {
        self.name = name
        self.inputShape = inputShape
        self.reduction = reduction
        self.keepsDimensions = keepsDimensions
    }

    package static let kerasClassNames = ["GlobalAveragePooling2D", "GlobalMaxPooling2D"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        self.init(name: configuration.name, inputShape: inputShape,
                  reduction: configuration.className == "GlobalMaxPooling2D" ? .maximum : .average,
                  keepsDimensions: try configuration.flag("keepdims", default: false))
    }

    // The pooling layers' window kernels, with one window per sample: the whole input.

    package func forward(_ memory: LayerMemory) {
        let channels = inputShape.channels, rowStride = inputShape.width * channels
        for sample in 0..<memory.count {
            let input = memory.input + sample * inputShape.count, output = memory.output + sample * channels
            switch reduction {
            case .average:
                PoolWindowAverage(window: input, rowStride: rowStride, columnStride: channels, rows: inputShape.height,
                                  columns: inputShape.width, output: output).run(channels: channels)
            case .maximum:
                PoolWindowMaximum(window: input, rowStride: rowStride, columnStride: channels, rows: inputShape.height,
                                  columns: inputShape.width, output: output).run(channels: channels)
            }
        }
    }

    package func backward(_ memory: LayerMemory) {
        guard let inputGradients = memory.inputGradient else { return }
        let channels = inputShape.channels, rowStride = inputShape.width * channels
        inputGradients.update(repeating: 0, count: memory.count * inputShape.count)
        for sample in 0..<memory.count {
            let inputGradient = inputGradients + sample * inputShape.count
            let outputGradient = memory.outputGradient + sample * channels
            switch reduction {
            case .average:
                PoolWindowAverageGradient(windowGradient: inputGradient, rowStride: rowStride, columnStride: channels,
                                          rows: inputShape.height, columns: inputShape.width, gradient: outputGradient)
                    .run(channels: channels)
            case .maximum:
                PoolWindowMaximumGradient(window: memory.input + sample * inputShape.count, windowGradient: inputGradient,
                                          rowStride: rowStride, columnStride: channels, rows: inputShape.height,
                                          columns: inputShape.width, maximum: memory.output + sample * channels,
                                          gradient: outputGradient).run(channels: channels)
            }
        }
    }
}
