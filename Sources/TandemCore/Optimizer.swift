import CTandemKernels
import Foundation

/// The optimiser and its settings, as Keras 3 defines them. Stored in checkpoints: they decide how a
/// gradient moves the weights, so a resumed run must keep them.
package struct OptimizerSettings: Codable, Equatable, Sendable {
    package enum Kind: String, Codable, Sendable, CaseIterable {
        case adam, adamw, sgd, rmsprop
    }

    package var kind: Kind = .adam
    package var beta1: Float = 0.9
    package var beta2: Float = 0.999
    package var epsilon: Float = 1e-7
    /// AdamW's decoupled weight decay (Keras's default 0.004), applied to every trainable weight.
    package var weightDecay: Float = 0.004
    /// SGD's and RMSprop's momentum (Keras's default 0), and SGD's Nesterov variant.
    package var momentum: Float = 0
    package var nesterov = false
    /// RMSprop's discount of the squared gradients' moving average (Keras's default 0.9).
    package var rho: Float = 0.9

    package init() {}

    /// The settings that apply to `kind`, for messages and the start-up table.
    package var description: String {
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
package final class Optimizer: @unchecked Sendable {
    package let settings: OptimizerSettings
    package let firstMoment: FloatBuffer
    package let secondMoment: FloatBuffer
    /// Updates applied so far (Keras's `iterations`).
    package var step: Int = 0
    /// Where the trainable weights are in the flat buffer (all of it if not given).
    let trainableRanges: [Range<Int>]
    /// Per weight, the regularisers' `l1` and `2 · l2` (nil when no weight has one).
    let penalties: (l1: FloatBuffer, twiceL2: FloatBuffer)?

    package init(parameterCount: Int, settings: OptimizerSettings = OptimizerSettings(), trainableRanges: [Range<Int>]? = nil,
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

    /// Applies one update with `gradient` (the gradient of the batch's mean loss, one float per weight).
    package func update(parameters: FloatBuffer, gradient: UnsafePointer<Float>, learningRate: Float) {
        precondition(parameters.count == firstMoment.count)
        step += 1
        forEachRun(of: 0..<parameters.count, learningRate: learningRate) { run, settings in
            apply(settings, to: parameters.pointer, run: run, gradient: gradient + run.lowerBound)
        }
    }

    /// Applies one update to elements `range` of `parameters`, whose gradient is the exact sums
    /// `first[i] + (second?[i] ?? 0)` for `i` in `0..<range.count`, in `format` (converted as
    /// `format.convert` does, a few thousand at a time). Call `beginStep()` once first, on every rank.
    package func update(_ parameters: UnsafeMutablePointer<Float>, exactSums first: UnsafePointer<Int64>, _ second: UnsafePointer<Int64>?,
                        format: FixedPointFormat, range: Range<Int>, learningRate: Float) {
        let base = range.lowerBound, chunkSize = 4096
        // 16 KB on the stack: the step loop allocates nothing.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: chunkSize) { gradient in
            forEachRun(of: range, learningRate: learningRate) { run, settings in
                for start in stride(from: run.lowerBound, to: run.upperBound, by: chunkSize) {
                    let chunk = start..<min(start + chunkSize, run.upperBound)
                    tandem_fixed_point_values(first + (start - base), second.map { $0 + (start - base) }, chunk.count,
                                              format.inverseScale, gradient.baseAddress!)
                    apply(settings, to: parameters, run: chunk, gradient: gradient.baseAddress!)
                }
            }
        }
    }

    /// Counts the step an update of shares (`update(_:exactSums:…)`) makes.
    package func beginStep() { step += 1 }

    /// Elements `range`, in runs that are all trainable or all not (AdamW decays only the former), each
    /// with the step's settings for the kernel.
    private func forEachRun(of range: Range<Int>, learningRate: Float, _ body: (Range<Int>, TandemOptimizerStep) -> Void) {
        var settings = TandemOptimizerStep()
        settings.learningRate = learningRate
        settings.epsilon = self.settings.epsilon
        settings.momentum = self.settings.momentum
        settings.nesterov = self.settings.nesterov ? 1 : 0
        settings.rho = self.settings.rho
        switch self.settings.kind {
        case .adam, .adamw:
            let (beta1, beta2) = (self.settings.beta1, self.settings.beta2), t = Float(step)
            settings.kind = TandemOptimizerAdam
            settings.stepSize = learningRate * (1 - Foundation.pow(beta2, t)).squareRoot() / (1 - Foundation.pow(beta1, t))
            settings.oneMinusBeta1 = 1 - beta1
            settings.oneMinusBeta2 = 1 - beta2
            settings.decay = self.settings.weightDecay * learningRate
        case .sgd: settings.kind = TandemOptimizerSGD
        case .rmsprop: settings.kind = TandemOptimizerRMSprop
        }
        let decaying: Int32 = self.settings.kind == .adamw ? 1 : 0
        var start = range.lowerBound
        for trainable in trainableRanges where start < range.upperBound {
            let frozen = start..<min(max(trainable.lowerBound, start), range.upperBound)
            settings.decays = 0
            if !frozen.isEmpty { body(frozen, settings) }
            let trained = frozen.upperBound..<min(max(trainable.upperBound, frozen.upperBound), range.upperBound)
            settings.decays = decaying
            if !trained.isEmpty { body(trained, settings) }
            start = trained.upperBound
        }
        settings.decays = 0
        if start < range.upperBound { body(start..<range.upperBound, settings) }    // past the last trainable range
    }

    /// Updates elements `run` of `theta` and of the moments, `gradient` holding the run's gradient. The
    /// kernel gives each element the same IEEE operations in the same order, so the bits depend neither
    /// on where a run starts nor on which rank updates the element.
    private func apply(_ settings: TandemOptimizerStep, to theta: UnsafeMutablePointer<Float>, run: Range<Int>,
                       gradient: UnsafePointer<Float>) {
        var settings = settings
        let first = run.lowerBound
        tandem_optimizer_update(&settings, theta + first, firstMoment.pointer + first, secondMoment.pointer + first, gradient,
                                penalties.map { UnsafePointer($0.l1.pointer + first) }, penalties.map { UnsafePointer($0.twiceL2.pointer + first) },
                                run.count)
    }
}
