/// Keras's `Dropout`: in training, each element is zeroed with probability `rate` and the others are
/// scaled by 1/(1 − rate); in inference, the identity.
///
/// With a `noise_shape`, one draw covers every element along the axes it gives as 1: `(None, 1, 1, 1)`
/// drops a whole sample (EfficientNet's drop-connect), and `SpatialDropout2D` is `(None, 1, 1, C)`,
/// whole channels.
///
/// The mask of a sample is drawn from `(seed, epoch, sample index, layer position)`
/// (`RandomStream.sample`), so it is the same whichever rank computes the sample. It is not Keras's
/// mask (TensorFlow draws from its own generator): the same distribution, other draws. The `seed` in
/// a Keras configuration is not used; the run's `--seed` decides.
package struct Dropout: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let rate: Float
    /// The layer's position in the model.
    package let position: Int
    /// The mask's extent per sample: the input's along each axis that draws, 1 along each that shares a draw.
    package let noiseShape: TensorShape
    package let kind: String

    package var outputShape: TensorShape { inputShape }
    package var summaryDetail: String {
        noiseShape == inputShape ? "rate \(rate)" : "rate \(rate), noise_shape (None, \(inputShape.isVector ? "\(noiseShape.channels)" : "\(noiseShape.height), \(noiseShape.width), \(noiseShape.channels)"))"
    }
    package var parameterBlocks: [ParameterBlock] { [] }
    /// The scaled masks of the last forward pass, for backward.
    package func savedCount(samples: Int) -> Int { samples * inputShape.count }

    package init(name: String = "dropout", inputShape: TensorShape, rate: Float, position: Int,
                 noiseShape: TensorShape? = nil, kind: String = "Dropout") throws {
        guard rate >= 0, rate < 1 else { throw ModelDefinitionError("\(name): rate \(rate) must be in [0, 1)") }
        self.name = name
        self.inputShape = inputShape
        self.rate = rate
        self.position = position
        self.noiseShape = noiseShape ?? inputShape
        self.kind = kind
    }

    package static let kerasClassNames = ["Dropout", "SpatialDropout2D"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        guard configuration.config["rate"] != nil else { throw configuration.error("rate is missing") }
        let rate = try configuration.number("rate", default: 0, in: 0...0.999_999)
        let noiseShape: TensorShape
        if configuration.className == "SpatialDropout2D" {
            try configuration.requireChannelsLast()
            guard !inputShape.isVector else { throw configuration.error("takes images, not vectors of \(inputShape.channels)") }
            noiseShape = TensorShape(height: 1, width: 1, channels: inputShape.channels)
        } else {
            noiseShape = try Self.noiseShape(configuration, inputShape: inputShape)
        }
        try self.init(name: configuration.name, inputShape: inputShape, rate: Float(rate), position: context.index,
                      noiseShape: noiseShape, kind: configuration.className)
    }

    /// Keras's `noise_shape` (batch axis first, `None` for the input's extent) as a per-sample shape.
    private static func noiseShape(_ configuration: KerasLayerConfiguration, inputShape: TensorShape) throws -> TensorShape {
        guard let value = configuration.config["noise_shape"], value != .null else { return inputShape }
        // A 1×1 image and a vector share one TensorShape: the noise shape's length says which it is.
        let image = [inputShape.height, inputShape.width, inputShape.channels]
        let extents = value.array?.count == 4 || !inputShape.isVector ? image : [inputShape.channels]
        guard let entries = value.array, entries.count == extents.count + 1, entries[0] == .null || entries[0].integer != nil else {
            throw configuration.error("noise_shape \(value.displayText) does not match inputs of \(inputShape)")
        }
        var noise: [Int] = []
        for (entry, extent) in zip(entries.dropFirst(), extents) {
            let size = entry == .null ? extent : entry.integer
            guard let size, size == 1 || size == extent else {
                throw configuration.error("noise_shape \(value.displayText): each axis must be None, 1 or the input's extent (\(inputShape))")
            }
            noise.append(size)
        }
        return noise.count == 1 ? .vector(noise[0]) : TensorShape(height: noise[0], width: noise[1], channels: noise[2])
    }

    package func forward(_ memory: LayerMemory) {
        let count = inputShape.count, masks = memory.saved
        if memory.samples.training && rate > 0 {
            let scale = 1 / (1 - rate)
            for sample in 0..<memory.count {
                var generator = memory.samples.stream(sample: sample, layer: position)
                let mask = masks + sample * count
                if noiseShape == inputShape {
                    for index in 0..<count { mask[index] = generator.nextUnitFloat() < rate ? 0 : scale }
                } else {
                    // The noise's draws in its own order, then spread over the axes it shares.
                    for index in 0..<noiseShape.count { mask[index] = generator.nextUnitFloat() < rate ? 0 : scale }
                    broadcastNoise(mask)
                }
            }
        } else {
            masks.update(repeating: 1, count: memory.count * count)
        }
        for index in 0..<memory.count * count { memory.output[index] = memory.input[index] * masks[index] }
    }

    /// Spreads the `noiseShape` values at the start of `mask` over the whole `inputShape`, in place
    /// (backwards, so that no value is overwritten before it is read).
    private func broadcastNoise(_ mask: UnsafeMutablePointer<Float>) {
        let noise = noiseShape, input = inputShape
        for index in stride(from: input.count - 1, through: 0, by: -1) {
            let channel = index % input.channels, position = index / input.channels
            let x = position % max(input.width, 1), y = position / max(input.width, 1)
            let source = ((noise.height == 1 ? 0 : y) * noise.width + (noise.width == 1 ? 0 : x)) * noise.channels
                + (noise.channels == 1 ? 0 : channel)
            mask[index] = mask[source]
        }
    }

    package func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        for index in 0..<memory.count * inputShape.count { inputGradient[index] = memory.outputGradient[index] * memory.saved[index] }
    }
}
