/// Keras's `LayerNormalization` over the last axis (`axis` -1): each position's channels normalised
/// with their own mean and variance, then scaled by `gamma` and shifted by `beta`. Per sample.
package struct LayerNormalization: KerasLayer {
    package let name: String
    let sets: NormalizationSets

    package var inputShape: TensorShape { sets.shape }
    package var outputShape: TensorShape { sets.shape }
    package var kind: String { "LayerNormalization" }
    package var parameterBlocks: [ParameterBlock] { sets.parameterBlocks }
    package var epsilon: Float { sets.epsilon }
    package func savedCount(samples: Int) -> Int { sets.savedCount(samples: samples) }

    package init(name: String = "layer_normalization", inputShape: TensorShape, epsilon: Float = 1e-3,
                 scale: Bool = true, center: Bool = true) {
        self.name = name
        sets = NormalizationSets(shape: inputShape, positionsPerSet: 1, channelsPerSet: inputShape.channels,
                                 epsilon: epsilon, scale: scale, center: center)
    }

    package static let kerasClassNames = ["LayerNormalization"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.require("axis", isOneOf: [.number(-1), .number(3), .number(inputShape.isVector ? 1 : 3), .array([.number(-1)])])
        try configuration.require("rms_scaling", isOneOf: [.bool(false)])
        try configuration.requireNormalizationDefaults()
        self.init(name: configuration.name, inputShape: inputShape,
                  epsilon: Float(try configuration.number("epsilon", default: 1e-3, in: 1e-12...1)),
                  scale: try configuration.flag("scale", default: true), center: try configuration.flag("center", default: true))
    }

    package func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        sets.initialize(parameters.baseAddress!)
    }

    package func forward(_ memory: LayerMemory) { sets.forward(memory) }
    package func backward(_ memory: LayerMemory) { sets.backward(memory) }
}
