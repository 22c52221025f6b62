import CTandemKernels
import Foundation

/// Keras's `BatchNormalization` over the last axis (channels): in training, each channel is normalised
/// with the mean and (biased) variance of the **whole global batch** over all positions, then scaled by
/// `gamma` and shifted by `beta`; the moving statistics follow the batch's (momentum 0.99); inference
/// uses the moving statistics.
///
/// The batch statistics come from exact fixed-point sums across every sample of the global batch, on
/// every rank alike (`BatchSynchronizedLayer`, driven by the trainer), so they, and the weights, do not
/// depend on how many ranks share the batch: unlike any peer's batch-norm, which normalises each
/// worker's part alone (Horovod, PyTorch DDP) or averages in floats (SyncBatchNorm).
///
/// Weights, in Keras's order: `gamma` (if `scale`), `beta` (if `center`), then the non-trainable
/// `moving_mean` and `moving_variance`.
package struct BatchNormalization: KerasLayer, BatchSynchronizedLayer {
    package let name: String
    package let inputShape: TensorShape
    package let momentum: Float
    package let epsilon: Float
    package let scale: Bool
    package let center: Bool

    package var outputShape: TensorShape { inputShape }
    package var kind: String { "BatchNormalization" }
    package var channels: Int { inputShape.channels }
    var positions: Int { inputShape.height * inputShape.width }

    package init(name: String = "batch_normalization", inputShape: TensorShape, momentum: Float = 0.99,
                 epsilon: Float = 1e-3, scale: Bool = true, center: Bool = true) {
        self.name = name
        self.inputShape = inputShape
        self.momentum = momentum
        self.epsilon = epsilon
        self.scale = scale
        self.center = center
    }

    package static let kerasClassNames = ["BatchNormalization"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.require("axis", isOneOf: [.number(-1), .number(3), .number(inputShape.isVector ? 1 : 3), .array([.number(-1)])])
        try configuration.require("renorm", isOneOf: [.bool(false)])
        try configuration.requireNormalizationDefaults()
        self.init(name: configuration.name, inputShape: inputShape,
                  momentum: Float(try configuration.number("momentum", default: 0.99, in: 0...1)),
                  epsilon: Float(try configuration.number("epsilon", default: 1e-3, in: 1e-12...1)),
                  scale: try configuration.flag("scale", default: true), center: try configuration.flag("center", default: true))
    }

    package var parameterBlocks: [ParameterBlock] {
        (scale ? [ParameterBlock(name: "gamma", shape: [channels])] : [])
            + (center ? [ParameterBlock(name: "beta", shape: [channels])] : [])
            + [ParameterBlock(name: "moving_mean", shape: [channels], trainable: false),
               ParameterBlock(name: "moving_variance", shape: [channels], trainable: false)]
    }

    var gammaOffset: Int? { scale ? 0 : nil }
    var betaOffset: Int? { center ? (scale ? channels : 0) : nil }
    var movingMeanOffset: Int { (scale ? channels : 0) + (center ? channels : 0) }
    var movingVarianceOffset: Int { movingMeanOffset + channels }

    /// Inference: per channel, the multiplier and the offset of `y = x·a + b`.
    package var preparedCount: Int { 2 * channels }
    /// Training: x̂ of the block normalised, for its backward pass.
    package func savedCount(samples: Int) -> Int { samples * inputShape.count }
    /// Per-channel factors computed once per call.
    package func scratchCount(samples: Int) -> Int { 3 * channels }

    package func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        let base = parameters.baseAddress!
        if let gammaOffset { (base + gammaOffset).update(repeating: 1, count: channels) }
        if let betaOffset { (base + betaOffset).update(repeating: 0, count: channels) }
        (base + movingMeanOffset).update(repeating: 0, count: channels)
        (base + movingVarianceOffset).update(repeating: 1, count: channels)
    }

    @inline(__always) func gamma(_ parameters: UnsafePointer<Float>, _ channel: Int) -> Float {
        gammaOffset.map { parameters[$0 + channel] } ?? 1
    }
    @inline(__always) func beta(_ parameters: UnsafePointer<Float>, _ channel: Int) -> Float {
        betaOffset.map { parameters[$0 + channel] } ?? 0
    }

    /// As TensorFlow: `a = gamma / sqrt(variance + epsilon)`, `b = beta − mean·a`, `y = x·a + b`.
    private func affine(parameters: UnsafePointer<Float>, mean: UnsafePointer<Float>, variance: UnsafePointer<Float>,
                        into factors: UnsafeMutablePointer<Float>) {
        for channel in 0..<channels {
            let multiplier = gamma(parameters, channel) / (variance[channel] + epsilon).squareRoot()
            factors[channel] = multiplier
            factors[channels + channel] = beta(parameters, channel) - mean[channel] * multiplier
        }
    }

    /// `y = x·a + b` at every position of `count` samples.
    private func apply(_ factors: UnsafePointer<Float>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int) {
        tandem_channels_multiply_add(input, factors, factors + channels, count * positions, channels, output)
    }

    package func prepare(parameters: UnsafePointer<Float>, prepared: UnsafeMutablePointer<Float>) {
        affine(parameters: parameters, mean: parameters + movingMeanOffset, variance: parameters + movingVarianceOffset,
               into: prepared)
    }

    /// Inference: the moving statistics.
    package func forward(_ memory: LayerMemory) {
        apply(memory.prepared, input: memory.input, output: memory.output, count: memory.count)
    }

    /// The gradient of the inference pass (moving statistics held constant).
    package func backward(_ memory: LayerMemory) {
        let parameters = memory.parameters, gradient = memory.parameterGradient
        let mean = parameters + movingMeanOffset, variance = parameters + movingVarianceOffset
        gradient.update(repeating: 0, count: parameterCount)
        for position in 0..<memory.count * positions {
            let x = memory.input + position * channels, dy = memory.outputGradient + position * channels
            for channel in 0..<channels {
                let normalized = (x[channel] - mean[channel]) / (variance[channel] + epsilon).squareRoot()
                if let gammaOffset { gradient[gammaOffset + channel] += dy[channel] * normalized }
                if let betaOffset { gradient[betaOffset + channel] += dy[channel] }
            }
        }
        guard let inputGradient = memory.inputGradient else { return }
        for position in 0..<memory.count * positions {
            for channel in 0..<channels {
                inputGradient[position * channels + channel] = memory.outputGradient[position * channels + channel] * memory.prepared[channel]
            }
        }
    }

    // MARK: Training, with the global batch's statistics

    package func channelSums(of input: UnsafePointer<Float>, count: Int, centeredOn mean: UnsafePointer<Float>?,
                             into sums: UnsafeMutablePointer<Float>) {
        sums.update(repeating: 0, count: channels)
        if let mean {
            tandem_channels_sum_squared_deviations(input, mean, count * positions, channels, sums)
        } else {
            tandem_channels_sum(input, count * positions, channels, sums)
        }
    }

    package func normalize(_ memory: LayerMemory, mean: UnsafePointer<Float>, variance: UnsafePointer<Float>) {
        // scratch: [multiplier | offset | 1/√(variance + ε)], per channel.
        let factors = memory.scratch, inverseDeviations = memory.scratch + 2 * channels
        affine(parameters: memory.parameters, mean: mean, variance: variance, into: factors)
        for channel in 0..<channels { inverseDeviations[channel] = 1 / (variance[channel] + epsilon).squareRoot() }
        tandem_channels_normalize(memory.input, factors, factors + channels, mean, inverseDeviations, memory.count * positions,
                                  channels, memory.output, memory.saved)
    }

    package func gradientSums(_ memory: LayerMemory, into sums: UnsafeMutablePointer<Float>) {
        sums.update(repeating: 0, count: 2 * channels)
        tandem_channels_sum_and_sum_products(memory.outputGradient, memory.saved, memory.count * positions, channels, sums,
                                             sums + channels)
        let gradient = memory.parameterGradient
        gradient.update(repeating: 0, count: parameterCount)
        if let gammaOffset { (gradient + gammaOffset).update(from: sums + channels, count: channels) }
        if let betaOffset { (gradient + betaOffset).update(from: sums, count: channels) }
    }

    /// `dx = gamma / sqrt(variance + epsilon) · (dy − Σdy/M − x̂·Σ(dy·x̂)/M)`.
    package func inputGradient(_ memory: LayerMemory, variance: UnsafePointer<Float>, sums: UnsafePointer<Float>, count: Int) {
        guard let inputGradient = memory.inputGradient else { return }
        // scratch: [factor | mean of dy | mean of dy·x̂], per channel.
        let factors = memory.scratch, means = memory.scratch + channels, inverseCount = 1 / Float(count)
        for channel in 0..<channels {
            factors[channel] = gamma(memory.parameters, channel) / (variance[channel] + epsilon).squareRoot()
            means[channel] = sums[channel] * inverseCount
            means[channels + channel] = sums[channels + channel] * inverseCount
        }
        tandem_channels_normalization_gradient(memory.outputGradient, memory.saved, factors, means, means + channels,
                                               memory.count * positions, channels, inputGradient)
    }

    package func updateMovingStatistics(_ parameters: UnsafeMutablePointer<Float>, mean: UnsafePointer<Float>, variance: UnsafePointer<Float>) {
        for channel in 0..<channels {
            let movingMean = parameters + movingMeanOffset + channel, movingVariance = parameters + movingVarianceOffset + channel
            movingMean.pointee = movingMean.pointee * momentum + mean[channel] * (1 - momentum)
            movingVariance.pointee = movingVariance.pointee * momentum + variance[channel] * (1 - momentum)
        }
    }
}
