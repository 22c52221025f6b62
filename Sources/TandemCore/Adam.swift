import Foundation

/// Adam exactly as Keras 3 defines it (bias correction folded into the step size, epsilon added to
/// √v rather than to the bias-corrected √v̂):
///
///     t = t + 1
///     α = learningRate · √(1 − β₂ᵗ) / (1 − β₁ᵗ)
///     m ← m + (g − m)(1 − β₁)
///     v ← v + (g² − v)(1 − β₂)
///     θ ← θ − α · m / (√v + ε)
///
/// Both moments are flat buffers with the parameters' layout, so broadcasting or checkpointing the
/// optimizer state is one call each.
public final class Adam: @unchecked Sendable {
    public struct Configuration: Equatable, Sendable, BitwiseCopyable {
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        public var epsilon: Float = 1e-7
        public init() {}
    }

    public let configuration: Configuration
    public let firstMoment: FloatBuffer
    public let secondMoment: FloatBuffer
    /// Updates applied so far (Keras's `iterations`).
    public var step: Int = 0

    public init(parameterCount: Int, configuration: Configuration = Configuration()) {
        self.configuration = configuration
        firstMoment = FloatBuffer(count: parameterCount)
        secondMoment = FloatBuffer(count: parameterCount)
    }

    /// Applies one update with `gradient` (the gradient of the batch's mean loss) to `parameters`.
    /// One step with `gradient`, one float per parameter.
    public func update(parameters: FloatBuffer, gradient: UnsafePointer<Float>, learningRate: Float) {
        precondition(parameters.count == firstMoment.count)
        step += 1
        let (beta1, beta2, epsilon) = (configuration.beta1, configuration.beta2, configuration.epsilon)
        let t = Float(step)
        let stepSize = learningRate * (1 - Foundation.pow(beta2, t)).squareRoot() / (1 - Foundation.pow(beta1, t))
        let oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2
        let theta = parameters.pointer, g = gradient
        let m = firstMoment.pointer, v = secondMoment.pointer
        for index in 0..<parameters.count {
            let gradientValue = g[index]
            let mean = m[index] + (gradientValue - m[index]) * oneMinusBeta1
            let variance = v[index] + (gradientValue * gradientValue - v[index]) * oneMinusBeta2
            m[index] = mean
            v[index] = variance
            theta[index] -= (mean * stepSize) / (variance.squareRoot() + epsilon)
        }
    }
}
