/// `output = input · scale + offset`; Keras's `Rescaling` (one scale and offset for every channel).
///
/// A model that rescales its own input before its first layer with weights expects the raw pixel
/// values its Keras users feed it (0–255), so Tandem feeds bytes as they are to it instead of dividing
/// them by 255 (`Model.byteScale`).
package struct Rescaling: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let scale: Float
    package let offset: Float

    package var outputShape: TensorShape { inputShape }
    package var kind: String { "Rescaling" }
    package var summaryDetail: String { offset == 0 ? "× \(scale)" : "× \(scale) + \(offset)" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "rescaling", inputShape: TensorShape, scale: Float, offset: Float = 0) {
        self.name = name
        self.inputShape = inputShape
        self.scale = scale
        self.offset = offset
    }

    package static let kerasClassNames = ["Rescaling"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        for key in ["scale", "offset"] where configuration.config[key]?.array != nil {
            throw configuration.error("\(key) per channel is not supported yet (one number for every channel)")
        }
        self.init(name: configuration.name, inputShape: inputShape,
                  scale: Float(try configuration.number("scale", default: 1, in: -1e9...1e9)),
                  offset: Float(try configuration.number("offset", default: 0, in: -1e9...1e9)))
    }

    package func forward(_ memory: LayerMemory) {
        let count = memory.count * inputShape.count
        for index in 0..<count { memory.output[index] = memory.input[index] * scale + offset }
    }

    package func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        let count = memory.count * inputShape.count
        for index in 0..<count { inputGradient[index] = memory.outputGradient[index] * scale }
    }
}
