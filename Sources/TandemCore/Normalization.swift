import Foundation

/// Keras's `Normalization` over the channels: `output = (input − mean[c]) / max(√variance[c], 1e-7)`,
/// or with `invert` `mean[c] + input · max(√variance[c], 1e-7)`.
///
/// The mean and variance are what Keras's `adapt()` computed, held as non-trainable weights (`mean`,
/// `variance`, and the sample `count` Keras keeps beside them), so they travel with the model's weights
/// and training leaves them as they are; or numbers in the configuration itself (`mean=…, variance=…`),
/// which then make no weights, as in Keras.
package struct Normalization: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let invert: Bool
    /// The configuration's own mean and variance, one per channel; `nil` when they are weights.
    package let constants: (mean: [Float], variance: [Float])?

    package var outputShape: TensorShape { inputShape }
    package var kind: String { "Normalization" }
    package var summaryDetail: String { invert ? "inverted" : "" }
    package var channels: Int { inputShape.channels }
    /// Keras's `backend.epsilon()`: the smallest standard deviation divided by.
    static let smallestDeviation: Float = 1e-7

    package var parameterBlocks: [ParameterBlock] {
        guard constants == nil else { return [] }
        return [ParameterBlock(name: "mean", shape: [channels], trainable: false),
                ParameterBlock(name: "variance", shape: [channels], trainable: false),
                ParameterBlock(name: "count", shape: [], trainable: false)]
    }

    /// A channel's shift and scale, `(mean, max(√variance, ε))`, from the weights or the constants.
    package func meanAndDeviation(parameters: UnsafePointer<Float>, channel: Int) -> (mean: Float, deviation: Float) {
        let mean = constants?.mean[channel] ?? parameters[channel]
        let variance = constants?.variance[channel] ?? parameters[channels + channel]
        return (mean, max(variance.squareRoot(), Self.smallestDeviation))
    }

    package init(name: String = "normalization", inputShape: TensorShape, invert: Bool = false,
                 constants: (mean: [Float], variance: [Float])? = nil) {
        self.name = name
        self.inputShape = inputShape
        self.invert = invert
        self.constants = constants
    }

    package static let kerasClassNames = ["Normalization"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        // The channels axis only: 3 (or -1) for images, 1 (or -1) for vectors; Keras writes a tuple.
        let channelsAxis = inputShape.isVector ? 1 : 3
        let axis = configuration.config["axis"].flatMap { $0.array ?? [$0] }
        guard let axis, axis.count == 1, let value = axis[0].integer, value == -1 || value == channelsAxis else {
            throw configuration.error("axis \(configuration.config["axis"]?.displayText ?? "null") is not supported (the channels axis, -1, only)")
        }
        let mean = try configuration.perChannel("mean", channels: inputShape.channels)
        let variance = try configuration.perChannel("variance", channels: inputShape.channels)
        guard (mean == nil) == (variance == nil) else { throw configuration.error("mean and variance must be given together") }
        if let variance, variance.contains(where: { $0 < 0 }) { throw configuration.error("variance must not be negative") }
        self.init(name: configuration.name, inputShape: inputShape, invert: try configuration.flag("invert", default: false),
                  constants: mean.map { ($0, variance!) })
    }

    /// Keras's initial state before `adapt()`: mean 0, variance 1, count 0 (the identity).
    package func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        guard constants == nil else { return }
        parameters.update(repeating: 0)
        parameters[channels..<(2 * channels)].update(repeating: 1)
    }

    package func forward(_ memory: LayerMemory) {
        let positions = memory.count * inputShape.count / channels
        for channel in 0..<channels {
            let (mean, deviation) = meanAndDeviation(parameters: memory.parameters, channel: channel)
            var index = channel
            for _ in 0..<positions {
                memory.output[index] = invert ? mean + memory.input[index] * deviation : (memory.input[index] - mean) / deviation
                index += channels
            }
        }
    }

    package func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        let positions = memory.count * inputShape.count / channels
        for channel in 0..<channels {
            let deviation = meanAndDeviation(parameters: memory.parameters, channel: channel).deviation
            var index = channel
            for _ in 0..<positions {
                inputGradient[index] = invert ? memory.outputGradient[index] * deviation : memory.outputGradient[index] / deviation
                index += channels
            }
        }
    }
}
