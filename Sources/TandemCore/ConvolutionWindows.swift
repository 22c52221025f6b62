import CTandemKernels

/// Where a convolution's kernel taps fall on its input, for one sample: the output extent that a kernel,
/// strides, dilation and padding give (TensorFlow's `same` puts an odd extra row or column last), and
/// each output position's taps in order. Shared by `Conv2D`'s im2col and `DepthwiseConv2D`.
struct ConvolutionWindows: Sendable, Equatable {
    let inputHeight: Int
    let inputWidth: Int
    let outputHeight: Int
    let outputWidth: Int
    let kernel: Extent2D
    let strides: Extent2D
    let dilation: Extent2D
    /// Zero rows above and columns left of the input.
    let paddingTop: Int
    let paddingLeft: Int

    /// The extent of the input one output reads: the kernel, spread by the dilation.
    static func window(kernel: Extent2D, dilation: Extent2D) -> Extent2D {
        Extent2D(height: (kernel.height - 1) * dilation.height + 1, width: (kernel.width - 1) * dilation.width + 1)
    }

    /// Throws (naming `layer`) for extents that are not positive, dilation and strides both above 1
    /// (Keras refuses them together), and a window that does not fit a `valid` input.
    init(input: TensorShape, kernel: Extent2D, strides: Extent2D, dilation: Extent2D, padding: Padding, layer: String) throws {
        guard kernel.height > 0, kernel.width > 0, strides.height > 0, strides.width > 0, dilation.height > 0, dilation.width > 0 else {
            throw ModelDefinitionError("\(layer): a convolution needs a positive kernel size, strides and dilation")
        }
        guard dilation == 1 || strides == 1 else {
            throw ModelDefinitionError("\(layer): dilation_rate \(dilation) with strides \(strides): Keras allows one of them above 1, not both")
        }
        let window = Self.window(kernel: kernel, dilation: dilation)
        let (outputHeight, top) = padding.outputSize(input: input.height, window: window.height, stride: strides.height)
        let (outputWidth, left) = padding.outputSize(input: input.width, window: window.width, stride: strides.width)
        guard outputHeight > 0, outputWidth > 0 else {
            throw ModelDefinitionError("\(layer): a \(window) 'valid' convolution does not fit its input \(input)")
        }
        (inputHeight, inputWidth, self.outputHeight, self.outputWidth) = (input.height, input.width, outputHeight, outputWidth)
        (self.kernel, self.strides, self.dilation, paddingTop, paddingLeft) = (kernel, strides, dilation, top, left)
    }

    /// Calls `body(tap, inputPosition)` for every kernel tap of every output position, positions in
    /// row-major order and taps in the kernel's row-major order: `tap` counts from 0 over the whole
    /// sample (`position · kernel.area + tap within the kernel`), `inputPosition` is `row · width +
    /// column` of the input, nil where the tap falls in the zero padding.
    @inline(__always)
    func forEachTap(_ body: (_ tap: Int, _ inputPosition: Int?) -> Void) {
        var tap = 0
        for outputRow in 0..<outputHeight {
            for outputColumn in 0..<outputWidth {
                for kernelRow in 0..<kernel.height {
                    let row = outputRow * strides.height + kernelRow * dilation.height - paddingTop
                    for kernelColumn in 0..<kernel.width {
                        let column = outputColumn * strides.width + kernelColumn * dilation.width - paddingLeft
                        let inside = row >= 0 && row < inputHeight && column >= 0 && column < inputWidth
                        body(tap, inside ? row * inputWidth + column : nil)
                        tap += 1
                    }
                }
            }
        }
    }

    /// The output rows and columns whose tap (`kernelRow`, `kernelColumn`) reads inside the input: a
    /// rectangle, since rows and columns are checked apart.
    func insideOutputs(kernelRow: Int, kernelColumn: Int) -> (rows: Range<Int>, columns: Range<Int>) {
        func inside(outputs: Int, stride: Int, offset: Int, inputs: Int) -> Range<Int> {
            var lower = 0
            while lower < outputs && lower * stride + offset < 0 { lower += 1 }
            var upper = lower
            while upper < outputs && upper * stride + offset < inputs { upper += 1 }
            return lower..<upper
        }
        return (inside(outputs: outputHeight, stride: strides.height, offset: kernelRow * dilation.height - paddingTop, inputs: inputHeight),
                inside(outputs: outputWidth, stride: strides.width, offset: kernelColumn * dilation.width - paddingLeft, inputs: inputWidth))
    }

    /// Per sample, the multiplies by a kernel tap that do not meet padding: the (output position, input
    /// position) pairs over all taps. `kernel.area · outputHeight · outputWidth` without padding.
    var insidePairs: Int {
        var pairs = 0
        for kernelRow in 0..<kernel.height {
            for kernelColumn in 0..<kernel.width {
                let (rows, columns) = insideOutputs(kernelRow: kernelRow, kernelColumn: kernelColumn)
                pairs += rows.count * columns.count
            }
        }
        return pairs
    }

    /// The same windows for the C kernels, over `channels` channels.
    func kernelWindows(channels: Int) -> TandemConvolutionWindows {
        TandemConvolutionWindows(inputHeight: inputHeight, inputWidth: inputWidth, outputHeight: outputHeight, outputWidth: outputWidth,
                                 kernelHeight: kernel.height, kernelWidth: kernel.width, strideHeight: strides.height,
                                 strideWidth: strides.width, dilationHeight: dilation.height, dilationWidth: dilation.width,
                                 paddingTop: paddingTop, paddingLeft: paddingLeft, channels: channels)
    }
}
