import Foundation

/// The optimiser and its settings, as Keras 3 defines them. Stored in checkpoints: they decide how a
/// gradient moves the weights, so a resumed run must keep them.
public struct OptimizerSettings: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case adam, adamw, sgd, rmsprop
    }

    public var kind: Kind = .adam
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-7
    /// AdamW's decoupled weight decay (Keras's default 0.004), applied to every trainable weight.
    public var weightDecay: Float = 0.004
    /// SGD's and RMSprop's momentum (Keras's default 0), and SGD's Nesterov variant.
    public var momentum: Float = 0
    public var nesterov = false
    /// RMSprop's discount of the squared gradients' moving average (Keras's default 0.9).
    public var rho: Float = 0.9

    public init() {}

    /// The settings that apply to `kind`, for messages and the start-up table.
    public var description: String {
        switch kind {
        case .adam: "adam (beta1 \(beta1), beta2 \(beta2), epsilon \(epsilon))"
        case .adamw: "adamw (beta1 \(beta1), beta2 \(beta2), epsilon \(epsilon), weight decay \(weightDecay))"
        case .sgd: "sgd (momentum \(momentum)\(nesterov ? ", nesterov" : ""))"
        case .rmsprop: "rmsprop (rho \(rho), momentum \(momentum), epsilon \(epsilon))"
        }
    }
}

/// Adam, AdamW and SGD exactly as Keras 3 defines them. Adam (bias correction folded into the step
/// size, epsilon added to √v rather than to the bias-corrected √v̂):
///
///     t = t + 1
///     α = learningRate · √(1 − β₂ᵗ) / (1 − β₁ᵗ)
///     m ← m + (g − m)(1 − β₁)
///     v ← v + (g² − v)(1 − β₂)
///     θ ← θ − α · m / (√v + ε)
///
/// AdamW first decays every trainable weight, `θ ← θ − θ · weightDecay · learningRate`, then steps as
/// Adam. SGD: `m ← momentum · m − learningRate · g`, then `θ ← θ + m`, or with Nesterov
/// `θ ← θ + momentum · m − learningRate · g` (plain `θ ← θ − learningRate · g` without momentum).
/// RMSprop (not centred): `v ← ρ · v + (1 − ρ) · g²`, `Δ = learningRate · g / √(v + ε)`, then
/// `m ← momentum · m + Δ`, `θ ← θ − m` (or `θ ← θ − Δ` without momentum).
///
/// The state is flat buffers with the parameters' layout (`firstMoment` is SGD's velocity and RMSprop's
/// momentum, `secondMoment` RMSprop's average of squares), so
/// broadcasting or checkpointing it is one call each. Every element's update depends on that element
/// alone, so a rank may update only its share of the elements, straight from the exact sums of the
/// allreduce (`update(_:exactSums:…)`): its share of the moments is then the only part it keeps
/// current. Non-trainable weights (batch-norm's moving statistics) always have a zero gradient, so
/// Adam and SGD leave them exactly as they are; AdamW's decay skips them (`trainableRanges`).
///
/// Weights with a Keras regulariser get `l1 · sign(θ) + 2 · l2 · θ` added to their gradient first, once
/// per step (`Regularizer`).
public final class Optimizer: @unchecked Sendable {
    public let settings: OptimizerSettings
    public let firstMoment: FloatBuffer
    public let secondMoment: FloatBuffer
    /// Updates applied so far (Keras's `iterations`).
    public var step: Int = 0
    /// Where the trainable weights are in the flat buffer (all of it if not given).
    let trainableRanges: [Range<Int>]
    /// Per weight, the regularisers' `l1` and `2 · l2` (nil when no weight has one).
    let penalties: (l1: FloatBuffer, twiceL2: FloatBuffer)?

    public init(parameterCount: Int, settings: OptimizerSettings = OptimizerSettings(), trainableRanges: [Range<Int>]? = nil,
                regularization: [(weights: Range<Int>, regularizer: Regularizer)] = []) {
        self.settings = settings
        firstMoment = FloatBuffer(count: parameterCount)
        secondMoment = FloatBuffer(count: parameterCount)
        self.trainableRanges = trainableRanges ?? [0..<parameterCount]
        if regularization.isEmpty {
            penalties = nil
        } else {
            let l1 = FloatBuffer(count: parameterCount), twiceL2 = FloatBuffer(count: parameterCount)
            for (weights, regularizer) in regularization {
                for index in weights {
                    l1[index] = regularizer.l1
                    twiceL2[index] = 2 * regularizer.l2
                }
            }
            penalties = (l1, twiceL2)
        }
    }

    /// The gradient of element group `index` with its regularisers' part added.
    @inline(__always)
    private func regularized(_ gradient: SIMD16<Float>, theta: SIMD16<Float>, _ index: Int, width: Int) -> SIMD16<Float> {
        guard let penalties else { return gradient }
        let sign = SIMD16<Float>(repeating: 0).replacing(with: 1, where: theta .> 0).replacing(with: -1, where: theta .< 0)
        return gradient + Elementwise.load(penalties.l1.pointer, index, width: width) * sign
            + Elementwise.load(penalties.twiceL2.pointer, index, width: width) * theta
    }

    /// Applies one update with `gradient` (the gradient of the batch's mean loss, one float per weight).
    public func update(parameters: FloatBuffer, gradient: UnsafePointer<Float>, learningRate: Float) {
        precondition(parameters.count == firstMoment.count)
        step += 1
        update(parameters.pointer, range: 0..<parameters.count, learningRate: learningRate) { index, width in
            Elementwise.load(gradient, index, width: width)
        }
    }

    /// Applies one update to elements `range` of `parameters`, whose gradient is the exact sums
    /// `first[i] + (second?[i] ?? 0)` for `i` in `0..<range.count`, in `format` (converted as
    /// `format.convert` does, in the same pass). Call `beginStep()` once first, on every rank.
    public func update(_ parameters: UnsafeMutablePointer<Float>, exactSums first: UnsafePointer<Int64>, _ second: UnsafePointer<Int64>?,
                       format: FixedPointFormat, range: Range<Int>, learningRate: Float) {
        let inverseScale = format.inverseScale, base = range.lowerBound
        update(parameters, range: range, learningRate: learningRate) { index, width in
            format.convert(first + (index - base), second.map { $0 + (index - base) }, width: width, inverseScale: inverseScale)
        }
    }

    /// Counts the step an update of shares (`update(_:exactSums:…)`) makes.
    public func beginStep() { step += 1 }

    /// Elements `range`, in runs that are all trainable or all not (AdamW decays only the former).
    private func update(_ theta: UnsafeMutablePointer<Float>, range: Range<Int>, learningRate: Float,
                        gradient: (Int, Int) -> SIMD16<Float>) {
        var start = range.lowerBound
        for trainable in trainableRanges + [range.upperBound..<range.upperBound] where start < range.upperBound {
            let frozen = start..<min(max(trainable.lowerBound, start), range.upperBound)
            if !frozen.isEmpty { update(theta, run: frozen, decays: false, learningRate: learningRate, gradient: gradient) }
            let decaying = frozen.upperBound..<min(max(trainable.upperBound, frozen.upperBound), range.upperBound)
            if !decaying.isEmpty { update(theta, run: decaying, decays: true, learningRate: learningRate, gradient: gradient) }
            start = decaying.upperBound
        }
    }

    // The updates run over SIMD16 groups (the pointers may alias as far as the compiler knows, so a
    // scalar loop would stay scalar); each element gets the same IEEE operations in the same order as
    // one at a time, so the bits do not depend on the grouping, on where a run starts, or on which
    // rank updates the element.

    @inline(__always)
    private func update(_ theta: UnsafeMutablePointer<Float>, run: Range<Int>, decays: Bool, learningRate: Float,
                        gradient: (Int, Int) -> SIMD16<Float>) {
        let m = firstMoment.pointer, v = secondMoment.pointer
        switch settings.kind {
        case .adam, .adamw:
            let (beta1, beta2, epsilon) = (settings.beta1, settings.beta2, settings.epsilon)
            let t = Float(step)
            let stepSize = learningRate * (1 - Foundation.pow(beta2, t)).squareRoot() / (1 - Foundation.pow(beta1, t))
            let oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2
            let decay = settings.kind == .adamw && decays ? settings.weightDecay * learningRate : nil
            Elementwise.forEachGroup(run.count) { offset, width in
                let index = run.lowerBound + offset
                var value = Elementwise.load(theta, index, width: width)
                let gradientValue = regularized(gradient(index, width), theta: value, index, width: width)
                let previousMean = Elementwise.load(m, index, width: width), previousVariance = Elementwise.load(v, index, width: width)
                let mean = previousMean + (gradientValue - previousMean) * oneMinusBeta1
                let variance = previousVariance + (gradientValue * gradientValue - previousVariance) * oneMinusBeta2
                Elementwise.store(mean, m, index, width: width)
                Elementwise.store(variance, v, index, width: width)
                if let decay { value = value - value * decay }
                Elementwise.store(value - (mean * stepSize) / (variance.squareRoot() + epsilon), theta, index, width: width)
            }
        case .sgd:
            let momentum = settings.momentum, nesterov = settings.nesterov
            Elementwise.forEachGroup(run.count) { offset, width in
                let index = run.lowerBound + offset
                let value = Elementwise.load(theta, index, width: width)
                let gradientValue = regularized(gradient(index, width), theta: value, index, width: width)
                guard momentum != 0 else {
                    return Elementwise.store(value - learningRate * gradientValue, theta, index, width: width)
                }
                let updated = momentum * Elementwise.load(m, index, width: width) - learningRate * gradientValue
                Elementwise.store(updated, m, index, width: width)
                Elementwise.store(value + (nesterov ? momentum * updated - learningRate * gradientValue : updated), theta, index, width: width)
            }
        case .rmsprop:
            let (rho, momentum, epsilon) = (settings.rho, settings.momentum, settings.epsilon)
            Elementwise.forEachGroup(run.count) { offset, width in
                let index = run.lowerBound + offset
                let value = Elementwise.load(theta, index, width: width)
                let gradientValue = regularized(gradient(index, width), theta: value, index, width: width)
                let average = rho * Elementwise.load(v, index, width: width) + (1 - rho) * (gradientValue * gradientValue)
                Elementwise.store(average, v, index, width: width)
                let increment = (learningRate * gradientValue) / (average + epsilon).squareRoot()
                guard momentum > 0 else { return Elementwise.store(value - increment, theta, index, width: width) }
                let velocity = momentum * Elementwise.load(m, index, width: width) + increment
                Elementwise.store(velocity, m, index, width: width)
                Elementwise.store(value - velocity, theta, index, width: width)
            }
        }
    }
}
