/// Keras's `RandomCrop`: a `height × width` window of each image.
/// - In training, of an image at least that large: the window at a random offset, uniform over every
///   position, drawn per sample as the other augmentations draw (Keras draws one offset per batch, which
///   would tie a sample's crop to its batch-mates and so to the rank count).
/// - In inference, and in training of a smaller image: the largest centred window of the crop's aspect
///   ratio, resized (bilinear) to `height × width`. That is the layer's documented inference, which
///   tf.keras computes (`smart_resize`); Keras 3 (3.15 checked) returns the input uncropped at inference
///   instead (keras-team/keras#21868), a shape its next layer then refuses.
///
/// An augmentation layer: it must come before every layer with weights.
package struct RandomCrop: KerasLayer, AugmentationLayer {
    package let name: String
    package let inputShape: TensorShape
    package let outputShape: TensorShape
    /// The inference window: the input less these margins, of the output's aspect ratio.
    package let centredWindow: Margins
    /// From the inference window to the output; `nil` where the window already is the output's size.
    package let resize: ImageResize?
    package let position: Int

    package var kind: String { "RandomCrop" }
    package var parameterBlocks: [ParameterBlock] { [] }
    package var croppedAtRandom: Bool { inputShape.height >= outputShape.height && inputShape.width >= outputShape.width }

    package init(name: String = "random_crop", inputShape: TensorShape, height: Int, width: Int, position: Int) {
        self.name = name
        self.inputShape = inputShape
        outputShape = TensorShape(height: height, width: width, channels: inputShape.channels)
        // Keras's integer arithmetic: the window keeps the full extent along the axis that limits it.
        let windowHeight = max(min(inputShape.height, inputShape.width * height / width), 1)
        let windowWidth = max(min(inputShape.width, inputShape.height * width / height), 1)
        let top = (inputShape.height - windowHeight) / 2, left = (inputShape.width - windowWidth) / 2
        centredWindow = Margins(top: top, bottom: inputShape.height - windowHeight - top,
                                left: left, right: inputShape.width - windowWidth - left)
        let window = TensorShape(height: windowHeight, width: windowWidth, channels: inputShape.channels)
        resize = window == outputShape ? nil : ImageResize(input: window, outputHeight: height, outputWidth: width, interpolation: .bilinear)
        self.position = position
    }

    package static let kerasClassNames = ["RandomCrop"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        let extents = 1...ModelDescription.largestInputExtent
        self.init(name: configuration.name, inputShape: inputShape, height: try configuration.integer("height", in: extents),
                  width: try configuration.integer("width", in: extents), position: context.index)
    }

    package func scratchCount(samples: Int) -> Int { (resize?.input.count ?? 0) * samples }

    package func forward(_ memory: LayerMemory) {
        guard memory.samples.training && croppedAtRandom else {
            resizeCentredWindow(memory)
            return
        }
        let rows = inputShape.height - outputShape.height, columns = inputShape.width - outputShape.width
        for sample in 0..<memory.count {
            var generator = memory.samples.stream(sample: sample, layer: position)
            let top = generator.next(below: rows + 1), left = generator.next(below: columns + 1)
            crop(memory.input + sample * inputShape.count,
                 at: Margins(top: top, bottom: rows - top, left: left, right: columns - left),
                 into: memory.output + sample * outputShape.count)
        }
    }

    /// The window of `image` inside `margins` (of the output's size), into `output`.
    func crop(_ image: UnsafeMutablePointer<Float>, at margins: Margins, into output: UnsafeMutablePointer<Float>) {
        margins.copy(inner: output, innerShape: outputShape, outer: image, samples: 1, intoOuter: false)
    }

    func resizeCentredWindow(_ memory: LayerMemory) {
        guard let resize else {
            centredWindow.copy(inner: memory.output, innerShape: outputShape, outer: memory.input, samples: memory.count, intoOuter: false)
            return
        }
        centredWindow.copy(inner: memory.scratch, innerShape: resize.input, outer: memory.input, samples: memory.count, intoOuter: false)
        resize.forward(memory.scratch, into: memory.output, count: memory.count)
    }
}
