/// Average pooling; Keras's `AveragePooling2D` (pool size, strides, `valid` or `same` padding). A
/// window clipped by `same` padding averages the input it covers, as TensorFlow does.
package struct AveragePooling2D: KerasLayer {
    package let name: String
    let windows: PoolingWindows

    package var inputShape: TensorShape { windows.input }
    package var outputShape: TensorShape { windows.output }
    package var poolSize: Extent2D { windows.size }
    package var strides: Extent2D { windows.strides }
    package var padding: Padding { windows.padding }
    package var kind: String { "AveragePooling2D" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "average_pooling2d", inputShape: TensorShape, poolSize: Extent2D, strides: Extent2D? = nil,
                 padding: Padding = .valid) throws {
        self.name = name
        windows = try PoolingWindows(name: name, kind: "AveragePooling2D", inputShape: inputShape, size: poolSize,
                                     strides: strides ?? poolSize, padding: padding)
    }

    package static let kerasClassNames = ["AveragePooling2D"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        name = configuration.name
        windows = try PoolingWindows(keras: configuration, inputShape: inputShape)
    }

    package func forward(_ memory: LayerMemory) {
        let channels = inputShape.channels, rowStride = inputShape.width * channels
        for sample in 0..<memory.count {
            let input = memory.input + sample * inputShape.count, output = memory.output + sample * outputShape.count
            windows.forEachWindow { rows, columns, outputOffset in
                PoolWindowAverage(window: input + rows.lowerBound * rowStride + columns.lowerBound * channels,
                                  rowStride: rowStride, columnStride: channels, rows: rows.count, columns: columns.count,
                                  output: output + outputOffset)
                    .run(channels: channels)
            }
        }
    }

    /// Each output's gradient, divided by its window's size, is added to every element of the window.
    package func backward(_ memory: LayerMemory) {
        guard let inputGradients = memory.inputGradient else { return }
        let channels = inputShape.channels, rowStride = inputShape.width * channels
        inputGradients.update(repeating: 0, count: memory.count * inputShape.count)
        for sample in 0..<memory.count {
            let inputGradient = inputGradients + sample * inputShape.count
            let outputGradient = memory.outputGradient + sample * outputShape.count
            windows.forEachWindow { rows, columns, outputOffset in
                PoolWindowAverageGradient(windowGradient: inputGradient + rows.lowerBound * rowStride + columns.lowerBound * channels,
                                          rowStride: rowStride, columnStride: channels, rows: rows.count, columns: columns.count,
                                          gradient: outputGradient + outputOffset)
                    .run(channels: channels)
            }
        }
    }
}

/// The mean of one pooling window (row-major sum, then one multiply), for a group of channels.
struct PoolWindowAverage: ChannelKernel {
    let window: UnsafePointer<Float>
    let rowStride: Int, columnStride: Int
    let rows: Int, columns: Int
    let output: UnsafeMutablePointer<Float>

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        var sum = V.zero
        for row in 0..<rows {
            for column in 0..<columns { sum = sum + V.load(window + row * rowStride + column * columnStride + channel) }
        }
        (sum * (1 / Float(rows * columns))).store(to: output + channel)
    }
}

struct PoolWindowAverageGradient: ChannelKernel {
    let windowGradient: UnsafeMutablePointer<Float>
    let rowStride: Int, columnStride: Int
    let rows: Int, columns: Int
    let gradient: UnsafePointer<Float>

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        let share = V.load(gradient + channel) * (1 / Float(rows * columns))
        for row in 0..<rows {
            for column in 0..<columns {
                let offset = row * rowStride + column * columnStride + channel
                (V.load(windowGradient + offset) + share).store(to: windowGradient + offset)
            }
        }
    }
}
