/// Average pooling; Keras's `AveragePooling2D` (pool size, strides, `valid` or `same` padding). A
/// window clipped by `same` padding averages the input it covers, as TensorFlow does.
public struct AveragePooling2D: KerasLayer {
    public let name: String
    let windows: PoolingWindows

    public var inputShape: TensorShape { windows.input }
    public var outputShape: TensorShape { windows.output }
    public var poolSize: Extent2D { windows.size }
    public var strides: Extent2D { windows.strides }
    public var padding: Padding { windows.padding }
    public var kind: String { "AveragePooling2D" }
    public var parameterBlocks: [ParameterBlock] { [] }

    public init(name: String = "average_pooling2d", inputShape: TensorShape, poolSize: Extent2D, strides: Extent2D? = nil,
                padding: Padding = .valid) throws {
        self.name = name
        windows = try PoolingWindows(name: name, kind: "AveragePooling2D", inputShape: inputShape, size: poolSize,
                                     strides: strides ?? poolSize, padding: padding)
    }

    public static let kerasClassNames = ["AveragePooling2D"]

    public init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        name = configuration.name
        windows = try PoolingWindows(keras: configuration, inputShape: inputShape)
    }

    public func forward(_ memory: LayerMemory) {
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
    public func backward(_ memory: LayerMemory) {
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
