/// Reshapes an HWC tensor to a vector, in HWC order (as Keras's `Flatten` on NHWC data).
public struct Flatten: KerasLayer {
    public let name: String
    public let inputShape: TensorShape
    public var outputShape: TensorShape { .vector(inputShape.count) }
    public var kind: String { "Flatten" }
    public var parameterBlocks: [ParameterBlock] { [] }

    public init(name: String = "flatten", inputShape: TensorShape) {
        self.name = name
        self.inputShape = inputShape
    }

    public static let kerasClassNames = ["Flatten"]

    public init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        self.init(name: configuration.name, inputShape: inputShape)
    }

    public func forward(_ memory: LayerMemory) {
        memory.output.update(from: memory.input, count: memory.count * inputShape.count)
    }

    public func backward(_ memory: LayerMemory) {
        memory.inputGradient?.update(from: memory.outputGradient, count: memory.count * inputShape.count)
    }
}
