import Foundation
import TandemCore
import TandemData
import TandemMPI

/// What one epoch of a run measured; the same numbers on every rank.
package struct EpochReport: Sendable {
    package let epoch: Int
    package let epochs: Int
    /// The training set's mean loss and accuracy over the epoch's global batches (exact sums).
    package let loss: Double
    package let accuracy: Double
    package let samples: Int
    package let seconds: Double
    /// The learning rate of the epoch's last step.
    package let learningRate: Float
    package let evaluation: Evaluation?
    package let evaluationSeconds: Double
    /// What `evaluation` ran on: its metrics are `test_…` or `val_…`.
    package let evaluationSet: EvaluationSet
    package var imagesPerSecond: Double { Double(samples) / seconds }
}

/// Who watches a run: the console's lines, a progress bar, a history file. Called on every rank, in
/// step order; an observer that prints does so on rank 0 only.
package protocol TrainingObserver: AnyObject {
    func epochBegan(_ epoch: Int, of epochs: Int, steps: Int)
    /// After step `step` (from 1) of the epoch: the global batch's summed loss and correct count over
    /// the epoch so far and how many samples that is (the step's allreduce brought them; nothing extra).
    func stepEnded(_ step: Int, lossSum: Double, correct: Int, samples: Int)
    func epochEnded(_ report: EpochReport)
}

extension TrainingObserver {
    package func epochBegan(_ epoch: Int, of epochs: Int, steps: Int) {}
    package func stepEnded(_ step: Int, lossSum: Double, correct: Int, samples: Int) {}
    package func epochEnded(_ report: EpochReport) {}
}

/// The training loop of `tandem train`: epochs from the state's next one to `configuration.epochs`,
/// each evaluated (if asked, always the last), checkpointed by rank 0 into `checkpointDirectory`, and
/// fingerprinted (if asked). Collective: every rank runs it.
package final class TrainingRun {
    package let trainer: Trainer
    package let evaluator: Evaluator
    package let configuration: TrainingConfiguration
    package var observers: [any TrainingObserver] = []
    /// Every rank prints its parameters' sha256 after every epoch.
    package var printsRankFingerprints = false

    package init(trainer: Trainer, evaluator: Evaluator) {
        self.trainer = trainer
        self.evaluator = evaluator
        configuration = trainer.configuration
    }

    private var state: TrainingState { trainer.state }
    private var communicator: Communicator { trainer.communicator }

    /// How a run ended.
    package enum Outcome {
        /// Every epoch done; the last evaluation.
        case finished(Evaluation?)
        /// Stopped by `signal` at a step boundary; the checkpoint written then, if a directory was given.
        case preempted(signal: Int32, checkpoint: String?)
    }

    /// Steps already done inside the state's next epoch (a checkpoint written mid-epoch), checked
    /// against this run's steps per epoch.
    package var stepsIntoEpoch: Int {
        state.optimizer.step - state.completedEpochs * trainer.sampler.stepsPerEpoch
    }

    /// Runs the remaining epochs, from the middle of one if the state stopped there.
    package func run() -> Outcome {
        var lastEvaluation: Evaluation?
        let epochs = configuration.epochs
        guard state.completedEpochs < epochs else { return .finished(nil) }
        let steps = trainer.sampler.stepsPerEpoch
        var first = stepsIntoEpoch
        for epoch in (state.completedEpochs + 1)...epochs {
            for observer in observers { observer.epochBegan(epoch, of: epochs, steps: steps) }
            let start = monotonicSeconds()
            let result = trainer.trainEpoch(epoch, fromStep: first) { step, lossSum, correct, samples in
                for observer in self.observers { observer.stepEnded(step, lossSum: lossSum, correct: correct, samples: samples) }
                if let every = self.configuration.checkpointEverySteps, step < steps, self.state.optimizer.step % every == 0 {
                    self.writeCheckpoint(.init(epochs: epoch - 1, steps: step))
                }
            }
            first = 0
            // Asked to stop inside the epoch: checkpoint where it stands. At its last step: finish it as usual.
            if let stopped = result.stoppedAfterStep, stopped < steps {
                return .preempted(signal: Preemption.signal, checkpoint: writeCheckpoint(.init(epochs: epoch - 1, steps: stopped)))
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
            let checkpoint = writeCheckpoint(.init(epochs: epoch, steps: 0))
            if printsRankFingerprints {
                StandardOutput.write("rank \(communicator.rank) epoch \(epoch) parameters sha256: \(state.parameterDigest)")
            }
            let report = EpochReport(epoch: epoch, epochs: epochs, loss: result.loss, accuracy: result.accuracy,
                                     samples: result.samples, seconds: seconds,
                                     learningRate: configuration.learningRate(step: state.optimizer.step, stepsPerEpoch: steps),
                                     evaluation: evaluation, evaluationSeconds: evaluationSeconds,
                                     evaluationSet: configuration.evaluationSet)
            for observer in observers { observer.epochEnded(report) }
            if result.stoppedAfterStep != nil, epoch < epochs {
                return .preempted(signal: Preemption.signal, checkpoint: checkpoint)
            }
        }
        return .finished(lastEvaluation)
    }

    /// Checks that every rank holds the same state, then rank 0 writes a checkpoint of it at `progress`
    /// (atomically: the previous one stays whole whatever happens) and deletes those beyond
    /// `keepCheckpoints`. A failed write ends the job naming the path and the reason, or with
    /// `continuesAfterCheckpointFailure` warns and goes on. Returns the path written (on every rank), or
    /// nil. Collective.
    @discardableResult
    private func writeCheckpoint(_ progress: CheckpointDirectory.Progress) -> String? {
        guard let directory = configuration.checkpointDirectory else { return nil }
        trainer.completeOptimizerState()
        verifyRanksAgree(at: "\(progress)")
        let path = directory + "/" + CheckpointDirectory.fileName(progress)
        guard communicator.isRoot else { return path }
        do {
            try state.checkpoint(model: trainer.model, configuration: configuration, trainingSamples: trainer.training.count)
                .write(to: path)
        } catch {
            guard configuration.continuesAfterCheckpointFailure else {
                Fatal.fail("\(progress), checkpoint: \(error)", communicator: communicator)
            }
            StandardError.write("tandem: warning: \(progress), checkpoint not written: \(error); going on (--checkpoint-failure warn)")
            return nil
        }
        if let keep = configuration.keepCheckpoints {
            for old in CheckpointDirectory.beyond(keep: keep, in: directory) { try? FileManager.default.removeItem(atPath: old) }
        }
        return path
    }

    /// Every rank hashes its parameters and optimiser state; a rank whose hash is not rank 0's ends
    /// the job, named. (They can only differ through a fault: a bit flipped in memory, a miscompiled
    /// kernel on one host.) Collective.
    package func verifyRanksAgree(at point: String) {
        guard communicator.size > 1 else { return }
        trainer.completeOptimizerState()
        var reference = state.checksum()
        let own = reference
        communicator.broadcast(&reference, root: 0)
        let flags = FixedPointBuffer(count: communicator.size)
        flags.fill(with: 0)
        flags[communicator.rank] = own == reference ? 0 : 1
        communicator.allreduceSum(flags.pointer, count: flags.count)
        let differing = (0..<communicator.size).filter { flags[$0] != 0 }
        if !differing.isEmpty {
            // Every rank knows; rank 0 says it once and all end together.
            if communicator.isRoot {
                StandardError.write("tandem: error: \(point): rank\(differing.count == 1 ? "" : "s") \(differing.map(String.init).joined(separator: ", ")) hold\(differing.count == 1 ? "s" : "") parameters that differ from rank 0's; the ranks diverged")
            }
            communicator.finishAndExit(1)
        }
    }
}
