/// Reshapes an HWC tensor to a vector, in HWC order (as Keras's `Flatten` on NHWC data).
package struct Flatten: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package var outputShape: TensorShape { .vector(inputShape.count) }
    package var kind: String { "Flatten" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "flatten", inputShape: TensorShape) {
        self.name = name
        self.inputShape = inputShape
    }

    package static let kerasClassNames = ["Flatten"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        self.init(name: configuration.name, inputShape: inputShape)
    }

    package func forward(_ memory: LayerMemory) {
        memory.output.update(from: memory.input, count: memory.count * inputShape.count)
    }

    package func backward(_ memory: LayerMemory) {
        memory.inputGradient?.update(from: memory.outputGradient, count: memory.count * inputShape.count)
    }
}
