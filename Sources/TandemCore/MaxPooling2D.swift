/// Max pooling over `poolSize × poolSize` windows with stride `poolSize`; Keras's `MaxPooling2D` with
/// `valid` padding, so a trailing row or column that does not fill a window is dropped (7 → 3).
public struct MaxPooling2D: Layer {
    public let inputShape: TensorShape
    public let outputShape: TensorShape
    public let poolSize: Int

    public var kind: String { "MaxPooling2D" }
    public var specification: LayerSpecification { .maxPooling2D(poolSize: poolSize) }
    public var parameterBlocks: [ParameterBlock] { [] }

    public init(inputShape: TensorShape, poolSize: Int) throws {
        guard poolSize > 0, inputShape.height >= poolSize, inputShape.width >= poolSize else {
            throw ModelDefinitionError("MaxPooling2D(\(poolSize)) does not fit input \(inputShape)")
        }
        self.inputShape = inputShape
        self.poolSize = poolSize
        outputShape = TensorShape(height: inputShape.height / poolSize, width: inputShape.width / poolSize,
                                  channels: inputShape.channels)
    }

    public func forward(_ memory: LayerMemory) {
        let channels = inputShape.channels
        for row in 0..<outputShape.height {
            for column in 0..<outputShape.width {
                let window = memory.input + ((row * inputShape.width + column) * poolSize) * channels
                PoolWindow(window: window, rowStride: inputShape.width * channels, columnStride: channels,
                           size: poolSize,
                           output: memory.output + (row * outputShape.width + column) * channels)
                    .run(channels: channels)
            }
        }
    }

    /// Each output's gradient goes to the first position of its window (row-major) that holds the maximum.
    public func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        let channels = inputShape.channels
        inputGradient.update(repeating: 0, count: inputShape.count)  // rows and columns no window covers stay 0
        for row in 0..<outputShape.height {
            for column in 0..<outputShape.width {
                let windowOffset = ((row * inputShape.width + column) * poolSize) * channels
                let outputOffset = (row * outputShape.width + column) * channels
                PoolWindowGradient(window: memory.input + windowOffset, windowGradient: inputGradient + windowOffset,
                                   rowStride: inputShape.width * channels, columnStride: channels, size: poolSize,
                                   maximum: memory.output + outputOffset, gradient: memory.outputGradient + outputOffset)
                    .run(channels: channels)
            }
        }
    }
}

/// The maximum of one pooling window, for a group of channels.
private struct PoolWindow: ChannelKernel {
    let window: UnsafePointer<Float>
    let rowStride: Int, columnStride: Int
    let size: Int
    let output: UnsafeMutablePointer<Float>

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        var maximum = V.load(window + channel)
        for windowRow in 0..<size {
            for windowColumn in 0..<size where windowRow + windowColumn > 0 {
                maximum = maximum.maximum(V.load(window + windowRow * rowStride + windowColumn * columnStride + channel))
            }
        }
        maximum.store(to: output + channel)
    }
}

/// Routes one window's output gradient to the first element equal to the window's maximum.
private struct PoolWindowGradient: ChannelKernel {
    let window: UnsafePointer<Float>
    let windowGradient: UnsafeMutablePointer<Float>
    let rowStride: Int, columnStride: Int
    let size: Int
    let maximum: UnsafePointer<Float>
    let gradient: UnsafePointer<Float>

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        let maximum = V.load(self.maximum + channel)
        // Still to be routed: the whole gradient until the first maximum takes it.
        var remaining = V.load(gradient + channel)
        for windowRow in 0..<size {
            for windowColumn in 0..<size {
                let offset = windowRow * rowStride + windowColumn * columnStride + channel
                let value = V.load(window + offset)
                V.select(ifEqual: value, maximum, then: remaining, else: .zero).store(to: windowGradient + offset)
                remaining = V.select(ifEqual: value, maximum, then: .zero, else: remaining)
            }
        }
    }
}
