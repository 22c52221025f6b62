import TandemCore
import TandemData
import TandemMPI

/// What one epoch of a run measured; the same numbers on every rank.
public struct EpochReport: Sendable {
    public let epoch: Int
    public let epochs: Int
    /// The training set's mean loss and accuracy over the epoch's global batches (exact sums).
    public let loss: Double
    public let accuracy: Double
    public let samples: Int
    public let seconds: Double
    /// The learning rate of the epoch's last step.
    public let learningRate: Float
    public let evaluation: Evaluation?
    public let evaluationSeconds: Double
    public var imagesPerSecond: Double { Double(samples) / seconds }
}

/// Who watches a run: the console's lines, a progress bar, a history file. Called on every rank, in
/// step order; an observer that prints does so on rank 0 only.
public protocol TrainingObserver: AnyObject {
    func epochBegan(_ epoch: Int, of epochs: Int, steps: Int)
    /// After step `step` (from 1) of the epoch: the global batch's summed loss and correct count over
    /// the epoch so far and how many samples that is (the step's allreduce brought them; nothing extra).
    func stepEnded(_ step: Int, lossSum: Double, correct: Int, samples: Int)
    func epochEnded(_ report: EpochReport)
}

extension TrainingObserver {
    public func epochBegan(_ epoch: Int, of epochs: Int, steps: Int) {}
    public func stepEnded(_ step: Int, lossSum: Double, correct: Int, samples: Int) {}
    public func epochEnded(_ report: EpochReport) {}
}

/// The training loop of `tandem train`: epochs from the state's next one to `configuration.epochs`,
/// each evaluated (if asked, always the last), checkpointed by rank 0 into `checkpointDirectory`, and
/// fingerprinted (if asked). Collective: every rank runs it.
public final class TrainingRun {
    public let trainer: Trainer
    public let evaluator: Evaluator
    public let configuration: TrainingConfiguration
    public var observers: [any TrainingObserver] = []
    /// Every rank prints its parameters' sha256 after every epoch.
    public var printsRankFingerprints = false

    public init(trainer: Trainer, evaluator: Evaluator) {
        self.trainer = trainer
        self.evaluator = evaluator
        configuration = trainer.configuration
    }

    private var state: TrainingState { trainer.state }
    private var communicator: Communicator { trainer.communicator }

    /// Runs the remaining epochs; returns the last evaluation (nil if no epoch was left).
    @discardableResult
    public func run() -> Evaluation? {
        var lastEvaluation: Evaluation?
        let epochs = configuration.epochs
        guard state.completedEpochs < epochs else { return nil }
        let steps = trainer.sampler.stepsPerEpoch
        for epoch in (state.completedEpochs + 1)...epochs {
            for observer in observers { observer.epochBegan(epoch, of: epochs, steps: steps) }
            let start = monotonicSeconds()
            let result = trainer.trainEpoch(epoch) { step, lossSum, correct, samples in
                for observer in self.observers { observer.stepEnded(step, lossSum: lossSum, correct: correct, samples: samples) }
            }
            let seconds = monotonicSeconds() - start
            state.completedEpochs = epoch

            var evaluation: Evaluation?, evaluationSeconds = 0.0
            if configuration.evaluateEveryEpoch || epoch == epochs {
                let evaluationStart = monotonicSeconds()
                evaluation = evaluator.evaluate(parameters: state.parameters.pointer)
                evaluationSeconds = monotonicSeconds() - evaluationStart
                lastEvaluation = evaluation
            }
            writeCheckpoint(epoch: epoch)
            if printsRankFingerprints {
                StandardOutput.write("rank \(communicator.rank) epoch \(epoch) parameters sha256: \(state.parameterDigest)")
            }
            let report = EpochReport(epoch: epoch, epochs: epochs, loss: result.loss, accuracy: result.accuracy,
                                     samples: result.samples, seconds: seconds,
                                     learningRate: configuration.learningRate(step: state.optimizer.step, stepsPerEpoch: steps),
                                     evaluation: evaluation, evaluationSeconds: evaluationSeconds)
            for observer in observers { observer.epochEnded(report) }
        }
        return lastEvaluation
    }

    /// Rank 0 writes the epoch's checkpoint (atomically); a failure ends the job, naming the path.
    private func writeCheckpoint(epoch: Int) {
        guard let directory = configuration.checkpointDirectory, communicator.isRoot else { return }
        let path = directory + "/" + Checkpoint.fileName(epoch: epoch)
        do {
            try state.checkpoint(model: trainer.model, configuration: configuration, trainingSamples: trainer.training.count)
                .write(to: path)
        } catch {
            Fatal.fail("epoch \(epoch), checkpoint: \(error)", communicator: communicator)
        }
    }
}
