/// Rows and columns cut from each image's edges; Keras's `Cropping2D` (channels last). The input
/// gradient is the output gradient with zero margins put back.
public struct Cropping2D: KerasLayer {
    public let name: String
    public let inputShape: TensorShape
    public let margins: Margins

    public var outputShape: TensorShape {
        TensorShape(height: inputShape.height - margins.top - margins.bottom, width: inputShape.width - margins.left - margins.right,
                    channels: inputShape.channels)
    }
    public var kind: String { "Cropping2D" }
    public var parameterBlocks: [ParameterBlock] { [] }

    public init(name: String = "cropping2d", inputShape: TensorShape, margins: Margins) throws {
        guard inputShape.height - margins.top - margins.bottom > 0, inputShape.width - margins.left - margins.right > 0 else {
            throw ModelDefinitionError("\(name): cropping \(margins.top), \(margins.bottom), \(margins.left), \(margins.right) leaves nothing of \(inputShape)")
        }
        self.name = name
        self.inputShape = inputShape
        self.margins = margins
    }

    public static let kerasClassNames = ["Cropping2D"]

    public init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        try self.init(name: configuration.name, inputShape: inputShape, margins: Margins(keras: configuration, key: "cropping"))
    }

    public func forward(_ memory: LayerMemory) {
        margins.copy(inner: memory.output, innerShape: outputShape, outer: memory.input, samples: memory.count, intoOuter: false)
    }

    public func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        inputGradient.update(repeating: 0, count: memory.count * inputShape.count)
        margins.copy(inner: memory.outputGradient, innerShape: outputShape, outer: inputGradient, samples: memory.count, intoOuter: true)
    }
}
