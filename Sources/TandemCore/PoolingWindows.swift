/// Where the windows of a pooling layer sit: Keras's `pool_size`, `strides` and `padding` applied to
/// one input shape. With `same` padding, windows at the border are clipped to the input (TensorFlow
/// neither takes padding as a maximum nor counts it in an average).
struct PoolingWindows: Sendable {
    let input: TensorShape
    let output: TensorShape
    let size: Extent2D
    let strides: Extent2D
    let padding: Padding
    let top: Int
    let left: Int

    init(name: String, kind: String, inputShape: TensorShape, size: Extent2D, strides: Extent2D, padding: Padding) throws {
        guard size.height > 0, size.width > 0, strides.height > 0, strides.width > 0 else {
            throw ModelDefinitionError("\(name): \(kind) needs a positive pool size and strides")
        }
        let (height, top) = padding.outputSize(input: inputShape.height, window: size.height, stride: strides.height)
        let (width, left) = padding.outputSize(input: inputShape.width, window: size.width, stride: strides.width)
        guard height > 0, width > 0 else {
            throw ModelDefinitionError("\(name): a \(size) '\(padding.rawValue)' \(kind) does not fit its input \(inputShape)")
        }
        input = inputShape
        output = TensorShape(height: height, width: width, channels: inputShape.channels)
        self.size = size
        self.strides = strides
        self.padding = padding
        self.top = top
        self.left = left
    }

    /// `pool_size` (default 2×2), `strides` (default: the pool size) and `padding` (default valid).
    init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape) throws {
        try configuration.requireChannelsLast()
        let extents = 1...KerasLayerConfiguration.largestExtent
        let size = try configuration.pair("pool_size", default: (2, 2), in: extents)
        let strides = try configuration.pair("strides", default: size, in: extents)
        try self.init(name: configuration.name, kind: configuration.className, inputShape: inputShape,
                      size: Extent2D(height: size.0, width: size.1), strides: Extent2D(height: strides.0, width: strides.1),
                      padding: try configuration.padding())
    }

    /// The input rows of output row `row`'s windows, clipped to the input.
    @inline(__always)
    func rows(_ row: Int) -> Range<Int> {
        let start = row * strides.height - top
        return max(start, 0)..<min(start + size.height, input.height)
    }

    /// The input columns of output column `column`'s windows, clipped to the input.
    @inline(__always)
    func columns(_ column: Int) -> Range<Int> {
        let start = column * strides.width - left
        return max(start, 0)..<min(start + size.width, input.width)
    }

    /// Calls `body(inputOffset, rows, columns, outputOffset)` for every window, offsets in floats.
    @inline(__always)
    func forEachWindow(_ body: (_ rows: Range<Int>, _ columns: Range<Int>, _ outputOffset: Int) -> Void) {
        for row in 0..<output.height {
            let rows = self.rows(row)
            for column in 0..<output.width {
                body(rows, columns(column), (row * output.width + column) * output.channels)
            }
        }
    }
}
