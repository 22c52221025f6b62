/// Rows and columns cut from each image's edges; Keras's `Cropping2D` (channels last), and its
/// `CenterCrop` of an image at least as large as the crop (the margin's odd row or column at the
/// bottom and right, as Keras's `diff // 2`). The input gradient is the output gradient with zero
/// margins put back.
package struct Cropping2D: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let margins: Margins

    package var outputShape: TensorShape {
        TensorShape(height: inputShape.height - margins.top - margins.bottom, width: inputShape.width - margins.left - margins.right,
                    channels: inputShape.channels)
    }
    package let kind: String
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "cropping2d", inputShape: TensorShape, margins: Margins, kind: String = "Cropping2D") throws {
        guard inputShape.height - margins.top - margins.bottom > 0, inputShape.width - margins.left - margins.right > 0 else {
            throw ModelDefinitionError("\(name): cropping \(margins.top), \(margins.bottom), \(margins.left), \(margins.right) leaves nothing of \(inputShape)")
        }
        self.name = name
        self.inputShape = inputShape
        self.margins = margins
        self.kind = kind
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
        guard height <= inputShape.height, width <= inputShape.width else {
            throw configuration.error("a \(height)x\(width) crop of smaller images \(inputShape) (which Keras resizes instead) is not supported")
        }
        let rows = inputShape.height - height, columns = inputShape.width - width
        try self.init(name: configuration.name, inputShape: inputShape,
                      margins: Margins(top: rows / 2, bottom: rows - rows / 2, left: columns / 2, right: columns - columns / 2),
                      kind: "CenterCrop")
    }

    package func forward(_ memory: LayerMemory) {
        margins.copy(inner: memory.output, innerShape: outputShape, outer: memory.input, samples: memory.count, intoOuter: false)
    }

    package func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        inputGradient.update(repeating: 0, count: memory.count * inputShape.count)
        margins.copy(inner: memory.outputGradient, innerShape: outputShape, outer: inputGradient, samples: memory.count, intoOuter: true)
    }
}
