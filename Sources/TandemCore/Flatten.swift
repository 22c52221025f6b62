/// Reshapes an HWC tensor to a vector, in HWC order (as Keras's `Flatten` on NHWC data).
public struct Flatten: Layer {
    public let inputShape: TensorShape
    public var outputShape: TensorShape { .vector(inputShape.count) }
    public var kind: String { "Flatten" }
    public var specification: LayerSpecification { .flatten }
    public var parameterBlocks: [ParameterBlock] { [] }

    public init(inputShape: TensorShape) { self.inputShape = inputShape }

    public func forward(_ memory: LayerMemory) {
        memory.output.update(from: memory.input, count: inputShape.count)
    }

    public func backward(_ memory: LayerMemory) {
        memory.inputGradient?.update(from: memory.outputGradient, count: inputShape.count)
    }
}
