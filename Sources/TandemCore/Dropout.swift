/// Keras's `Dropout`: in training, each element is zeroed with probability `rate` and the others are
/// scaled by 1/(1 − rate); in inference, the identity.
///
/// The mask of a sample is drawn from `(seed, epoch, sample index, layer position)`
/// (`RandomStream.sample`), so it is the same whichever rank computes the sample. It is not Keras's
/// mask (TensorFlow draws from its own generator): the same distribution, other draws. The `seed` in
/// a Keras configuration is not used; the run's `--seed` decides.
public struct Dropout: KerasLayer {
    public let name: String
    public let inputShape: TensorShape
    public let rate: Float
    /// The layer's position in the model.
    public let position: Int

    public var outputShape: TensorShape { inputShape }
    public var kind: String { "Dropout" }
    public var summaryDetail: String { "rate \(rate)" }
    public var parameterBlocks: [ParameterBlock] { [] }
    /// The scaled masks of the last forward pass, for backward.
    public func savedCount(samples: Int) -> Int { samples * inputShape.count }

    public init(name: String = "dropout", inputShape: TensorShape, rate: Float, position: Int) throws {
        guard rate >= 0, rate < 1 else { throw ModelDefinitionError("\(name): rate \(rate) must be in [0, 1)") }
        self.name = name
        self.inputShape = inputShape
        self.rate = rate
        self.position = position
    }

    public static let kerasClassNames = ["Dropout"]

    public init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.require("noise_shape", isOneOf: [])
        guard configuration.config["rate"] != nil else { throw configuration.error("rate is missing") }
        let rate = try configuration.number("rate", default: 0, in: 0...0.999_999)
        try self.init(name: configuration.name, inputShape: inputShape, rate: Float(rate), position: context.index)
    }

    public func forward(_ memory: LayerMemory) {
        let count = inputShape.count, masks = memory.saved
        if memory.samples.training && rate > 0 {
            let scale = 1 / (1 - rate)
            for sample in 0..<memory.count {
                var generator = memory.samples.stream(sample: sample, layer: position)
                let mask = masks + sample * count
                for index in 0..<count { mask[index] = generator.nextUnitFloat() < rate ? 0 : scale }
            }
        } else {
            masks.update(repeating: 1, count: memory.count * count)
        }
        for index in 0..<memory.count * count { memory.output[index] = memory.input[index] * masks[index] }
    }

    public func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        for index in 0..<memory.count * inputShape.count { inputGradient[index] = memory.outputGradient[index] * memory.saved[index] }
    }
}
