/// Rows and columns cut from each image's edges; Keras's `Cropping2D` (channels last), and its
/// `CenterCrop`: of an image at least as large as the crop, the centred window (the margin's odd row or
/// column at the bottom and right, as Keras's `diff // 2`); of a smaller one, as Keras, `smart_resize`
/// (the largest centred window of the crop's aspect ratio, resized bilinear). The input gradient is the
/// output gradient (through the resize's transpose) with zero margins put back.
package struct Cropping2D: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let crop: CropAndResize

    package var outputShape: TensorShape { crop.output }
    package let kind: String
    package var summaryDetail: String { crop.resize == nil ? "" : "resized" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "cropping2d", inputShape: TensorShape, margins: Margins) throws {
        let height = inputShape.height - margins.top - margins.bottom, width = inputShape.width - margins.left - margins.right
        guard height > 0, width > 0 else {
            throw ModelDefinitionError("\(name): cropping \(margins.top), \(margins.bottom), \(margins.left), \(margins.right) leaves nothing of \(inputShape)")
        }
        self.init(name: name, inputShape: inputShape, kind: "Cropping2D",
                  crop: CropAndResize(input: inputShape, window: margins, outputHeight: height, outputWidth: width))
    }

    init(name: String, inputShape: TensorShape, kind: String, crop: CropAndResize) {
        self.name = name
        self.inputShape = inputShape
        self.kind = kind
        self.crop = crop
    }

    package static let kerasClassNames = ["Cropping2D", "CenterCrop"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        guard configuration.className == "CenterCrop" else {
            try self.init(name: configuration.name, inputShape: inputShape, margins: Margins(keras: configuration, key: "cropping"))
            return
        }
        let extents = 1...ModelDescription.largestInputExtent
        let height = try configuration.integer("height", in: extents), width = try configuration.integer("width", in: extents)
        let rows = inputShape.height - height, columns = inputShape.width - width
        let crop = rows >= 0 && columns >= 0
            ? CropAndResize(input: inputShape, window: Margins(top: rows / 2, bottom: rows - rows / 2, left: columns / 2, right: columns - columns / 2),
                            outputHeight: height, outputWidth: width)
            : CropAndResize.smartResize(input: inputShape, height: height, width: width)
        self.init(name: configuration.name, inputShape: inputShape, kind: "CenterCrop", crop: crop)
    }

    package func scratchCount(samples: Int) -> Int { crop.scratchCount(samples: samples) }

    package func forward(_ memory: LayerMemory) {
        crop.forward(memory.input, into: memory.output, scratch: memory.scratch, count: memory.count)
    }

    package func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        crop.backward(memory.outputGradient, into: inputGradient, scratch: memory.scratch, count: memory.count)
    }
}
