/// Keras's `GroupNormalization` (Wu & He 2018): the channels split into `groups`, each group normalised
/// over all positions with its own mean and variance, then scaled by `gamma` and shifted by `beta` per
/// channel. Per sample, so independent of the batch: close to batch-norm at usual batch sizes and
/// better at small per-worker batches.
package struct GroupNormalization: KerasLayer {
    package let name: String
    package let groups: Int
    let sets: NormalizationSets

    package var inputShape: TensorShape { sets.shape }
    package var outputShape: TensorShape { sets.shape }
    package var kind: String { "GroupNormalization" }
    package var summaryDetail: String { "\(groups) groups" }
    package var parameterBlocks: [ParameterBlock] { sets.parameterBlocks }
    package var epsilon: Float { sets.epsilon }
    package func savedCount(samples: Int) -> Int { sets.savedCount(samples: samples) }

    package init(name: String = "group_normalization", inputShape: TensorShape, groups: Int, epsilon: Float = 1e-3,
                 scale: Bool = true, center: Bool = true) throws {
        guard groups > 0, inputShape.channels % groups == 0 else {
            throw ModelDefinitionError("\(name): groups \(groups) does not divide the \(inputShape.channels) channels")
        }
        self.name = name
        self.groups = groups
        sets = NormalizationSets(shape: inputShape, positionsPerSet: inputShape.height * inputShape.width,
                                 channelsPerSet: inputShape.channels / groups, epsilon: epsilon, scale: scale, center: center)
    }

    package static let kerasClassNames = ["GroupNormalization"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.require("axis", isOneOf: [.number(-1), .number(3), .number(inputShape.isVector ? 1 : 3)])
        try configuration.requireNormalizationDefaults()
        try self.init(name: configuration.name, inputShape: inputShape,
                      groups: try configuration.integer("groups", default: 32, in: 1...KerasLayerConfiguration.largestWidth),
                      epsilon: Float(try configuration.number("epsilon", default: 1e-3, in: 1e-12...1)),
                      scale: try configuration.flag("scale", default: true), center: try configuration.flag("center", default: true))
    }

    package func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        sets.initialize(parameters.baseAddress!)
    }

    package func forward(_ memory: LayerMemory) { sets.forward(memory) }
    package func backward(_ memory: LayerMemory) { sets.backward(memory) }
}
