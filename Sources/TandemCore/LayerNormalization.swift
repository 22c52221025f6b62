/// Keras's `LayerNormalization` over the last axis (`axis` -1): each position's channels normalised
/// with their own mean and variance, then scaled by `gamma` and shifted by `beta`. Per sample.
public struct LayerNormalization: KerasLayer {
    public let name: String
    let sets: NormalizationSets

    public var inputShape: TensorShape { sets.shape }
    public var outputShape: TensorShape { sets.shape }
    public var kind: String { "LayerNormalization" }
    public var parameterBlocks: [ParameterBlock] { sets.parameterBlocks }
    public var epsilon: Float { sets.epsilon }
    public func savedCount(samples: Int) -> Int { sets.savedCount(samples: samples) }

    public init(name: String = "layer_normalization", inputShape: TensorShape, epsilon: Float = 1e-3,
                scale: Bool = true, center: Bool = true) {
        self.name = name
        sets = NormalizationSets(shape: inputShape, positionsPerSet: 1, channelsPerSet: inputShape.channels,
                                 epsilon: epsilon, scale: scale, center: center)
    }

    public static let kerasClassNames = ["LayerNormalization"]

    public init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.require("axis", isOneOf: [.number(-1), .number(3), .number(inputShape.isVector ? 1 : 3), .array([.number(-1)])])
        try configuration.require("rms_scaling", isOneOf: [.bool(false)])
        try configuration.requireNormalizationDefaults()
        self.init(name: configuration.name, inputShape: inputShape,
                  epsilon: Float(try configuration.number("epsilon", default: 1e-3, in: 1e-12...1)),
                  scale: try configuration.flag("scale", default: true), center: try configuration.flag("center", default: true))
    }

    public func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        sets.initialize(parameters.baseAddress!)
    }

    public func forward(_ memory: LayerMemory) { sets.forward(memory) }
    public func backward(_ memory: LayerMemory) { sets.backward(memory) }
}
