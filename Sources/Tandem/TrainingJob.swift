import TandemCore
import TandemData
import TandemMPI
import TandemTraining

/// A training run, configured in Swift: a Keras model (a built-in name, a file of Keras JSON or a `.keras`
/// archive) trained on IDX files, a NumPy `.npz` or a folder of class folders of pictures, one process
/// or every rank of an MPI job, with the same weights bit for bit at any rank and thread count.
///
/// ```swift
/// var job = TrainingJob()
/// job.epochs = 1
/// job.limit = 6_000
/// let result = try job.run { epoch in print(epoch) }
/// print(result.parameterDigest)
/// ```
///
/// What is left nil takes the model's own compile settings or Keras's defaults (7 epochs, batch 32, Adam
/// at 0.001), or, when resuming, the checkpoint's.
public struct TrainingJob: Sendable {
    /// A built-in model (`tutorial`, `fashion-strong`, `fashion-resnet`), a file of Keras JSON, or a `.keras` archive.
    public var model = "tutorial"
    /// A directory of IDX files, a `.npz`, or a folder of class folders of pictures.
    public var data = DatasetDirectory.defaultPath
    /// The fraction of the training data evaluated each epoch instead of the test set (Keras's `validation_split`).
    public var validationSplit: Double?
    /// Only the first this many training images.
    public var limit: Int?
    /// Total epochs; a resumed run goes on up to this number.
    public var epochs: Int?
    /// The global batch: samples per step over all ranks.
    public var batchSize: Int?
    /// The seed of the initial weights and of every epoch's shuffle.
    public var seed: UInt64?
    /// The learning rate (default: the model's compile settings, or 0.001).
    public var learningRate: Float?
    /// `adam`, `adamw`, `sgd` or `rmsprop`.
    public var optimizer: String?
    /// Where rank 0 writes a checkpoint after every epoch.
    public var checkpointDirectory: String?
    /// Go on from `checkpointDirectory`'s newest checkpoint if it has one.
    public var resumes = false
    /// Threads per rank (the result does not depend on it).
    public var threads = 1

    /// The tutorial's model on Debian's Fashion-MNIST, everything else at its default.
    public init() {}

    /// Trains, collectively on every rank of `ranks`; by default `Ranks.launched()`, finalised at the end.
    /// `onEpoch` is called after every epoch, on every rank. Throws `TandemError` for a problem with the
    /// model, the data, the settings or a checkpoint, on every rank, so no rank waits for the others.
    /// Under MPI, pass your own `Ranks` to run more than one job in a process.
    public func run(on ranks: Ranks? = nil, onEpoch: (@Sendable (EpochSummary) -> Void)? = nil) throws -> TrainingResult {
        let communicator = (ranks ?? Ranks.launched()).communicator
        // Ranks made here are finalised here (under MPI, once per process: one such job per process).
        defer { if ranks == nil { communicator.finalize() } }
        var request = TrainingRequest()
        request.model = ModelSource(model)
        var data = DataSource(path: self.data)
        data.validationSplit = validationSplit
        request.data = data
        request.limit = limit
        request.epochs = epochs
        request.globalBatchSize = batchSize
        request.seed = seed
        request.recipe.learningRate = learningRate
        if let optimizer {
            guard let kind = OptimizerSettings.Kind(rawValue: optimizer) else {
                throw TandemError("optimizer '\(optimizer)': expected one of \(OptimizerSettings.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            request.recipe.optimizer = kind
        }
        request.checkpointDirectory = checkpointDirectory
        request.resume = resumes ? "auto" : nil
        let start: TrainingSession.Start
        do {
            start = try TrainingSession.start(request, communicator: communicator, threads: WorkerThreads(count: threads))
        } catch let failure as StartupFailure {
            throw TandemError(failure.description)
        }
        let session: TrainingSession
        switch start {
        case let .ready(ready): session = ready
        case let .complete(_, epochs, digest): return TrainingResult(epochs: epochs, evaluation: nil, parameterDigest: digest)
        }
        let observer = EpochObserver(onEpoch)
        session.run.observers.append(observer)
        switch session.train() {
        case let .finished(evaluation):
            return TrainingResult(epochs: session.state.completedEpochs, evaluation: evaluation.map(EvaluationSummary.init),
                                  parameterDigest: session.state.parameterDigest)
        case .preempted:
            throw TandemError("stopped by a signal after step \(session.state.optimizer.step)")
        }
    }
}

/// One epoch's figures.
public struct EpochSummary: Sendable, CustomStringConvertible {
    /// The epoch just finished, counted from 1.
    public let epoch: Int
    /// The epochs the run goes up to.
    public let epochs: Int
    /// The mean training loss over the epoch.
    public let loss: Double
    /// The training accuracy over the epoch.
    public let accuracy: Double
    /// The epoch's training time (without the evaluation).
    public let seconds: Double
    /// Training images per second over all ranks.
    public let imagesPerSecond: Double
    /// The test set's (or the held-out validation data's) loss and accuracy, if evaluated this epoch.
    public let evaluation: EvaluationSummary?

    /// `epoch 1/7: loss 0.5012, accuracy 0.8203, evaluation loss …`.
    public var description: String {
        "epoch \(epoch)/\(epochs): loss \(Format.fixed(loss, 4)), accuracy \(Format.fixed(accuracy, 4))"
            + (evaluation.map { ", evaluation loss \(Format.fixed($0.loss, 4)), accuracy \(Format.fixed($0.accuracy, 4))" } ?? "")
    }
}

/// A loss and accuracy over an evaluation set.
public struct EvaluationSummary: Sendable {
    /// The mean loss.
    public let loss: Double
    /// The share of images classified correctly.
    public let accuracy: Double
    /// The images classified correctly.
    public let correct: Int
    /// The images evaluated.
    public let count: Int

    init(_ evaluation: Evaluation) {
        (loss, accuracy, correct, count) = (evaluation.meanLoss, evaluation.accuracy, evaluation.correct, evaluation.seen)
    }
}

/// What a finished run gives.
public struct TrainingResult: Sendable {
    /// The epochs completed.
    public let epochs: Int
    /// The last evaluation.
    public let evaluation: EvaluationSummary?
    /// The sha256 of the parameters: equal for equal runs, at any rank and thread count.
    public let parameterDigest: String
}

/// A problem with a job's model, data, settings or checkpoint, in one line.
public struct TandemError: Error, CustomStringConvertible {
    /// The problem, naming the file or setting.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Hands each epoch's report to the job's closure.
private final class EpochObserver: TrainingObserver {
    let handler: (@Sendable (EpochSummary) -> Void)?
    init(_ handler: (@Sendable (EpochSummary) -> Void)?) { self.handler = handler }

    func epochEnded(_ report: EpochReport) {
        handler?(EpochSummary(epoch: report.epoch, epochs: report.epochs, loss: report.loss, accuracy: report.accuracy,
                              seconds: report.seconds, imagesPerSecond: report.imagesPerSecond,
                              evaluation: report.evaluation.map(EvaluationSummary.init)))
    }
}
