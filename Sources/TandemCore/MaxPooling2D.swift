/// Max pooling; Keras's `MaxPooling2D` (pool size, strides, `valid` or `same` padding).
package struct MaxPooling2D: KerasLayer {
    package let name: String
    let windows: PoolingWindows

    package var inputShape: TensorShape { windows.input }
    package var outputShape: TensorShape { windows.output }
    package var poolSize: Extent2D { windows.size }
    package var strides: Extent2D { windows.strides }
    package var padding: Padding { windows.padding }
    package var kind: String { "MaxPooling2D" }
    package var parameterBlocks: [ParameterBlock] { [] }

    /// - Parameter strides: the pool size if nil (Keras's default).
    package init(name: String = "max_pooling2d", inputShape: TensorShape, poolSize: Extent2D, strides: Extent2D? = nil,
                 padding: Padding = .valid) throws {
        self.name = name
        windows = try PoolingWindows(name: name, kind: "MaxPooling2D", inputShape: inputShape, size: poolSize,
                                     strides: strides ?? poolSize, padding: padding)
    }

    package static let kerasClassNames = ["MaxPooling2D"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        name = configuration.name
        windows = try PoolingWindows(keras: configuration, inputShape: inputShape)
    }

    package func forward(_ memory: LayerMemory) {
        let channels = inputShape.channels, rowStride = inputShape.width * channels
        for sample in 0..<memory.count {
            let input = memory.input + sample * inputShape.count, output = memory.output + sample * outputShape.count
            windows.forEachWindow { rows, columns, outputOffset in
                PoolWindowMaximum(window: input + rows.lowerBound * rowStride + columns.lowerBound * channels,
                                  rowStride: rowStride, columnStride: channels, rows: rows.count, columns: columns.count,
                                  output: output + outputOffset)
                    .run(channels: channels)
            }
        }
    }

    /// Each output's gradient goes to the first position of its window (row-major) that holds the
    /// maximum; overlapping windows add up.
    package func backward(_ memory: LayerMemory) {
        guard let inputGradients = memory.inputGradient else { return }
        let channels = inputShape.channels, rowStride = inputShape.width * channels
        // Rows and columns no window covers stay 0.
        inputGradients.update(repeating: 0, count: memory.count * inputShape.count)
        for sample in 0..<memory.count {
            let input = memory.input + sample * inputShape.count, inputGradient = inputGradients + sample * inputShape.count
            let output = memory.output + sample * outputShape.count, outputGradient = memory.outputGradient + sample * outputShape.count
            windows.forEachWindow { rows, columns, outputOffset in
                let windowOffset = rows.lowerBound * rowStride + columns.lowerBound * channels
                PoolWindowMaximumGradient(window: input + windowOffset, windowGradient: inputGradient + windowOffset,
                                          rowStride: rowStride, columnStride: channels, rows: rows.count, columns: columns.count,
                                          maximum: output + outputOffset, gradient: outputGradient + outputOffset)
                    .run(channels: channels)
            }
        }
    }
}

/// The maximum of one pooling window, for a group of channels.
struct PoolWindowMaximum: ChannelKernel {
    let window: UnsafePointer<Float>
    let rowStride: Int, columnStride: Int
    let rows: Int, columns: Int
    let output: UnsafeMutablePointer<Float>

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        var maximum = V.load(window + channel)
        for row in 0..<rows {
            for column in 0..<columns where row + column > 0 {
                maximum = maximum.maximum(V.load(window + row * rowStride + column * columnStride + channel))
            }
        }
        maximum.store(to: output + channel)
    }
}

/// Adds one window's output gradient to the first element equal to the window's maximum.
struct PoolWindowMaximumGradient: ChannelKernel {
    let window: UnsafePointer<Float>
    let windowGradient: UnsafeMutablePointer<Float>
    let rowStride: Int, columnStride: Int
    let rows: Int, columns: Int
    let maximum: UnsafePointer<Float>
    let gradient: UnsafePointer<Float>

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        let maximum = V.load(self.maximum + channel)
        // Still to be routed: the whole gradient until the first maximum takes it.
        var remaining = V.load(gradient + channel)
        for row in 0..<rows {
            for column in 0..<columns {
                let offset = row * rowStride + column * columnStride + channel
                let value = V.load(window + offset)
                (V.load(windowGradient + offset) + V.select(ifEqual: value, maximum, then: remaining, else: .zero))
                    .store(to: windowGradient + offset)
                remaining = V.select(ifEqual: value, maximum, then: .zero, else: remaining)
            }
        }
    }
}
