/// A window of each image, resized (bilinear, TensorFlow's resize) to the output's size where the
/// two differ: what `Cropping2D`, `CenterCrop` and `RandomCrop`'s inference compute, with the backward
/// pass beside it (the resize's transpose put back into the window, zeros around it).
package struct CropAndResize: Sendable {
    package let input: TensorShape
    /// The window: the input less these margins.
    package let window: Margins
    package let windowShape: TensorShape
    package let output: TensorShape
    /// From the window to the output; `nil` where the window already is the output's size.
    package let resize: ImageResize?

    package init(input: TensorShape, window: Margins, outputHeight: Int, outputWidth: Int) {
        self.input = input
        self.window = window
        windowShape = TensorShape(height: input.height - window.top - window.bottom, width: input.width - window.left - window.right,
                                  channels: input.channels)
        output = TensorShape(height: outputHeight, width: outputWidth, channels: input.channels)
        resize = windowShape == output ? nil
            : ImageResize(input: windowShape, outputHeight: outputHeight, outputWidth: outputWidth, interpolation: .bilinear)
    }

    /// Keras's `smart_resize` to `height × width`: the largest centred window of that aspect ratio (the
    /// full extent along the axis that limits it, Keras's integer arithmetic), resized.
    package static func smartResize(input: TensorShape, height: Int, width: Int) -> CropAndResize {
        let windowHeight = max(min(input.height, input.width * height / width), 1)
        let windowWidth = max(min(input.width, input.height * width / height), 1)
        let top = (input.height - windowHeight) / 2, left = (input.width - windowWidth) / 2
        return CropAndResize(input: input, window: Margins(top: top, bottom: input.height - windowHeight - top,
                                                            left: left, right: input.width - windowWidth - left),
                             outputHeight: height, outputWidth: width)
    }

    package func scratchCount(samples: Int) -> Int { resize == nil ? 0 : samples * windowShape.count }

    package func forward(_ source: UnsafeMutablePointer<Float>, into target: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, count: Int) {
        guard let resize else {
            window.copy(inner: target, innerShape: output, outer: source, samples: count, intoOuter: false)
            return
        }
        window.copy(inner: scratch, innerShape: windowShape, outer: source, samples: count, intoOuter: false)
        resize.forward(scratch, into: target, count: count)
    }

    package func backward(_ gradient: UnsafeMutablePointer<Float>, into inputGradient: UnsafeMutablePointer<Float>,
                          scratch: UnsafeMutablePointer<Float>, count: Int) {
        inputGradient.update(repeating: 0, count: count * input.count)
        guard let resize else {
            window.copy(inner: gradient, innerShape: output, outer: inputGradient, samples: count, intoOuter: true)
            return
        }
        resize.backward(gradient, into: scratch, count: count)
        window.copy(inner: scratch, innerShape: windowShape, outer: inputGradient, samples: count, intoOuter: true)
    }
}
