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
    /// The inference pass: Keras's `smart_resize` to the output's size.
    package let centred: CropAndResize
    package let position: Int

    package var kind: String { "RandomCrop" }
    package var parameterBlocks: [ParameterBlock] { [] }
    package var croppedAtRandom: Bool { inputShape.height >= outputShape.height && inputShape.width >= outputShape.width }

    package init(name: String = "random_crop", inputShape: TensorShape, height: Int, width: Int, position: Int) {
        self.name = name
        self.inputShape = inputShape
        outputShape = TensorShape(height: height, width: width, channels: inputShape.channels)
        centred = CropAndResize.smartResize(input: inputShape, height: height, width: width)
        self.position = position
    }

    package static let kerasClassNames = ["RandomCrop"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        let extents = 1...ModelDescription.largestInputExtent
        self.init(name: configuration.name, inputShape: inputShape, height: try configuration.integer("height", in: extents),
                  width: try configuration.integer("width", in: extents), position: context.index)
    }

    package func scratchCount(samples: Int) -> Int { centred.scratchCount(samples: samples) }

    package func forward(_ memory: LayerMemory) {
        guard memory.samples.training && croppedAtRandom else {
            centred.forward(memory.input, into: memory.output, scratch: memory.scratch, count: memory.count)
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
}
