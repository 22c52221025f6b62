import Foundation
import TandemCore
import TandemData
import TandemMPI

/// What decides how the weights move besides the model, the seed and the global batch: the optimiser
/// and the learning-rate schedule. Stored in every checkpoint, so that `--resume` needs none of these
/// flags again, and refuses one that disagrees.
package struct Recipe: Codable, Equatable, Sendable {
    /// The learning rate for the reference batch; see `learningRateScaling`.
    package var learningRate: Float = 0.001
    /// How the learning rate grows with the global batch (weak scaling), relative to `referenceBatchSize`.
    package var learningRateScaling: LearningRateScaling = .none
    package var referenceBatchSize = 32
    /// Epochs over which the learning rate ramps linearly from `learningRate` to its scaled value
    /// (Goyal et al. 2017); 0 starts at the scaled value.
    package var warmupEpochs = 0.0
    package var schedule: LearningRateSchedule = .constant
    /// The epochs a `cosine` schedule decays over: the run's `--epochs` when it started.
    package var decayEpochs = 0
    package var optimizer = OptimizerSettings()
    /// Keras's `label_smoothing`: the loss's target is `(1 − s) · onehot(label) + s / classes`.
    package var labelSmoothing: Float = 0

    package init() {}

    /// A recipe from its stored JSON (checkpoints, the broadcast at start-up). Keys a recipe gained after
    /// the JSON was written (RMSprop's `rho`, `labelSmoothing`) take their defaults, which is what
    /// the run that wrote it did.
    package static func decoded(from data: Data) throws -> Recipe {
        func merged(_ base: JSONValue, _ stored: JSONValue) -> JSONValue {
            guard case let .object(defaults) = base, case let .object(values) = stored else { return stored }
            return .object(defaults.merging(values) { merged($0, $1) })
        }
        let defaults = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(Recipe()))
        let stored = try JSONDecoder().decode(JSONValue.self, from: data)
        return try JSONDecoder().decode(Recipe.self, from: JSONEncoder().encode(merged(defaults, stored)))
    }

    /// The scaled learning rate after warm-up.
    package func scaledLearningRate(globalBatchSize: Int) -> Float {
        let ratio = Double(globalBatchSize) / Double(referenceBatchSize)
        switch learningRateScaling {
        case .none: return learningRate
        case .linear: return learningRate * Float(ratio)
        case .squareRoot: return learningRate * Float(ratio.squareRoot())
        }
    }

    /// The learning rate for optimizer step `step` (counted from 1), with `stepsPerEpoch` steps an epoch:
    /// the linear warm-up, then constant or, as Keras's `CosineDecay` (alpha 0), half a cosine down to
    /// zero at the end of `decayEpochs`.
    package func learningRate(step: Int, stepsPerEpoch: Int, globalBatchSize: Int) -> Float {
        let target = scaledLearningRate(globalBatchSize: globalBatchSize)
        let warmupSteps = warmupEpochs * Double(stepsPerEpoch)
        if warmupSteps > 0, Double(step) < warmupSteps {
            return learningRate + (target - learningRate) * Float(Double(step) / warmupSteps)
        }
        switch schedule {
        case .constant:
            return target
        case .cosine:
            let decaySteps = Double(decayEpochs * stepsPerEpoch) - warmupSteps
            guard decaySteps > 0 else { return target }
            let progress = min(max((Double(step) - warmupSteps) / decaySteps, 0), 1)
            return target * Float(0.5 * (1 + Foundation.cos(Double.pi * progress)))
        }
    }
}

/// How the learning rate changes after the warm-up.
package enum LearningRateSchedule: String, Codable, Sendable, CaseIterable {
    case constant
    case cosine
}

/// What a training run does, as given on the command line (or restored from a checkpoint).
package struct TrainingConfiguration: Sendable {
    package var epochs = 7
    /// The global batch: samples per optimizer step summed over all ranks.
    package var globalBatchSize = 32
    /// `m`, the samples of each canonical micro-batch: the unit whose sums are rounded to fixed point, so
    /// part of what decides the bits (stored in checkpoints); nil for the model's default
    /// (`EpochSampler.defaultMicroBatchSize`).
    package var microBatchSize: Int?
    /// Threads per rank, each taking whole micro-batches; no part of the result depends on it.
    package var threads = 1
    package var recipe = Recipe()
    /// The classes' names and how pictures were read, kept in the checkpoints.
    package var data = DataDescription()
    /// What each epoch's evaluation runs on, which names its metrics (`test_loss` or `val_loss`).
    package var evaluationSet = EvaluationSet.test
    /// Where the recipe came from, in words, for the start-up report: the checkpoint's, the model's
    /// compile_config, flags.
    package var recipeOrigin = "the checkpoint's"
    package var seed: UInt64 = 1
    package var allreduce: AllreduceAlgorithm = .tree
    package var checkpointDirectory: String?
    /// Also write a checkpoint every this many optimizer steps (counted over the run), besides each epoch's.
    package var checkpointEverySteps: Int?
    /// Keep only the newest this many checkpoints in `checkpointDirectory` (nil: all).
    package var keepCheckpoints: Int?
    /// A checkpoint that cannot be written (disk full, read-only, I/O error) ends the run, unless this
    /// asks for a warning and going on.
    package var continuesAfterCheckpointFailure = false
    /// Evaluate on the test set after every epoch (always after the last).
    package var evaluateEveryEpoch = true
    /// A barrier before each allreduce, so that benchmarks can report waiting apart from the transfer.
    package var separateWait = false
    /// A deliberate failure, for testing that a failing rank ends the whole job.
    package var injectedFailure: InjectedFailure?

    package init() {}

    /// `microBatchSize`, or the default for `model` and this global batch.
    package func microBatchSize(for model: Model) -> Int {
        microBatchSize ?? EpochSampler.defaultMicroBatchSize(parameters: model.parameterCount,
                                                             trainingFLOPsPerSample: model.trainingFLOPsPerSample,
                                                             globalBatchSize: globalBatchSize)
    }

    /// The learning rate for optimizer step `step` (counted from 1), with `stepsPerEpoch` steps an epoch.
    package func learningRate(step: Int, stepsPerEpoch: Int) -> Float {
        recipe.learningRate(step: step, stepsPerEpoch: stepsPerEpoch, globalBatchSize: globalBatchSize)
    }
}

/// Learning-rate scaling for a global batch larger than the reference batch (weak scaling).
package enum LearningRateScaling: String, Codable, Sendable, CaseIterable {
    case none
    case linear
    case squareRoot = "sqrt"
}

/// Makes one rank fail at one step, to test the failure paths. Written `RANK:STEP:MODE`.
package struct InjectedFailure: Sendable, Equatable {
    package enum Mode: String, Sendable {
        /// Report an error through the fatal path (message, then `MPI_Abort`).
        case error
        /// Exit at once with status 1, as a crashing process would, without telling anyone.
        case exit
        /// Stop making progress, as a deadlocked process would.
        case hang
        /// Flip a bit of one weight after the step's update, as a memory fault would: the rank's
        /// parameters drift from the others' (caught by the checksum comparison at the next checkpoint
        /// or the end, if no later update overwrites the weight first).
        case corrupt
    }

    package let rank: Int
    package let step: Int
    package let mode: Mode

    package init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 3, let rank = Int(parts[0]), let step = Int(parts[1]), rank >= 0, step >= 1,
              let mode = Mode(rawValue: String(parts[2])) else { return nil }
        self.rank = rank
        self.step = step
        self.mode = mode
    }
}
