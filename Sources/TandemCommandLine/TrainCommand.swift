import ArgumentParser
import Foundation
import TandemCore
import TandemData
import TandemInterchange
import TandemMPI
import TandemTraining

extension LearningRateScaling: ExpressibleByArgument {}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a CNN (the Keras tutorial's, a built-in one or your own Keras model) on one process or as N MPI ranks.",
        discussion: """
            Each global batch is cut into micro-batches of m consecutive samples; every rank (and each of its \
            --threads) takes whole micro-batches, each micro-batch's gradient is rounded to fixed point once and \
            added exactly, the sums are all-reduced every step, and rank 0 evaluates on the test set and writes \
            checkpoints. The same seed, global batch and m give the same weights, bit for bit, at any rank and \
            thread count. Examples:
              tandem train --epochs 1 --limit 6000
              mpirun -np 2 tandem train --checkpoint-dir runs/a
              mpirun -np 2 tandem train --resume runs/a
            """)

    @OptionGroup var data: DataOptions
    @OptionGroup var subset: TrainingSubsetOptions
    @OptionGroup var choice: ModelChoiceOptions
    @OptionGroup var convolution: ConvolutionOptions
    @OptionGroup var distributed: DistributedOptions

    @Option(help: ArgumentHelp("Total epochs to train; a resumed run continues up to this number. (default: 7, a built-in model's own, or the checkpoint's)",
                               valueName: "n"))
    var epochs: Int?

    @Option(help: ArgumentHelp("Global batch: samples per step over all ranks, split as evenly as possible. (default: 32, or the checkpoint's)",
                               valueName: "n"))
    var batchSize: Int?

    @OptionGroup var microBatch: MicroBatchOptions

    @OptionGroup var recipe: RecipeOptions

    @Option(help: ArgumentHelp("Seed for the initial weights and every epoch's shuffle. (default: 1, or the checkpoint's)",
                               valueName: "n"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("Write a checkpoint here after every epoch (rank 0, atomically), and when stopped by SIGTERM or SIGUSR1.",
                               valueName: "dir"))
    var checkpointDir: String?

    @Option(help: ArgumentHelp("Also write a checkpoint every this many steps (a resume goes on from inside the epoch, bit for bit).",
                               valueName: "steps"))
    var checkpointEvery: Int?

    @Option(help: ArgumentHelp("Keep only the newest K checkpoints in --checkpoint-dir.", valueName: "K"))
    var keep: Int?

    @Option(help: ArgumentHelp("When a checkpoint cannot be written (disk full, read-only, I/O error): stop (the default), or warn and go on.",
                               valueName: "stop|warn"))
    var checkpointFailure: CheckpointFailure = .stop

    enum CheckpointFailure: String, ExpressibleByArgument { case stop, warn }

    @Option(help: ArgumentHelp("Continue from a checkpoint file, or a directory's newest usable checkpoint; auto: from --checkpoint-dir's if it has one, else start afresh.",
                               valueName: "path|auto"))
    var resume: String?

    @Option(help: ArgumentHelp("Start from these weights of the same model (.keras, .weights.h5 or .safetensors, e.g. from Keras) instead of the seed's.",
                               valueName: "file"))
    var initialWeights: String?

    @Flag(inversion: .prefixedNo, help: "Evaluate on the test set after every epoch (always after the last).")
    var evaluateEveryEpoch = true

    @Option(help: ArgumentHelp("0: silent; 1: a progress bar per epoch, as Keras's; 2: one line per epoch; auto: 1 on a terminal, 2 otherwise.",
                               valueName: "auto|0|1|2"))
    var verbose: Verbosity = .auto

    @Option(help: ArgumentHelp("Write each epoch's metrics here (rank 0): Keras CSVLogger columns for .csv, JSON Lines for .jsonl; a resumed run appends.",
                               valueName: "file"))
    var history: String?

    @Flag(help: "Every rank prints its parameters' sha256 after every epoch (to check that ranks agree).")
    var rankFingerprints = false

    @Option(help: .hidden)
    var injectFailure: String?

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, not \(epochs)") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1, not \(batchSize)") }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1 step, not \(checkpointEvery)") }
        if let keep, keep < 1 { throw ValidationError("--keep must be at least 1, not \(keep)") }
        if checkpointDir == nil, checkpointEvery != nil || keep != nil || resume == "auto" {
            throw ValidationError("--checkpoint-every, --keep and --resume auto need --checkpoint-dir")
        }
        if let history, TrainingHistory.format(of: history) == nil {
            throw ValidationError("--history \(history): name a .csv or a .jsonl file")
        }
        if let injectFailure, InjectedFailure(injectFailure) == nil {
            throw ValidationError("--inject-failure takes RANK:STEP:MODE with MODE error, exit, hang or corrupt")
        }
    }

    /// The run as the library takes it.
    var request: TrainingRequest {
        var request = TrainingRequest(model: choice, convolution: convolution, data: data, subset: subset, microBatch: microBatch,
                                      recipe: recipe, distributed: distributed)
        request.epochs = epochs
        request.globalBatchSize = batchSize
        request.seed = seed
        request.checkpointDirectory = checkpointDir
        request.checkpointEverySteps = checkpointEvery
        request.keepCheckpoints = keep
        request.continuesAfterCheckpointFailure = checkpointFailure == .warn
        request.resume = resume
        request.initialWeights = initialWeights
        request.evaluateEveryEpoch = evaluateEveryEpoch
        request.injectedFailure = injectFailure.flatMap(InjectedFailure.init)
        return request
    }

    func run() throws {
        let communicator = distributed.makeCommunicator()
        let console = Console(communicator: communicator)
        Preemption.install()
        let decoding = DecodingProgress()
        let start: TrainingSession.Start
        do {
            start = try TrainingSession.start(request, communicator: communicator, threads: distributed.makeThreads(),
                                              decodingProgress: decoding.update)
        } catch {
            communicator.end(after: error)
        }
        decoding.finish()
        guard case let .ready(session) = start else {
            if case let .complete(checkpoint, epochs, digest) = start {
                console.line("\(checkpoint): the run is complete (\(epochs) epochs); nothing to do")
                console.line("parameters sha256: \(digest)")
            }
            communicator.finalize()
            return
        }
        let run = session.run, state = session.state, configuration = session.configuration
        run.printsRankFingerprints = rankFingerprints
        let verbosity = verbose.resolved
        let report = StartupReport(communicator: communicator, configuration: configuration, model: session.model, trainer: session.trainer,
                                   testCount: session.evaluator.totalCount, dataPath: session.dataDescription, resumedFrom: session.restored?.path)
        if verbosity != .silent { report.print(to: console) }
        report.warn(to: console)
        switch verbosity {
        case .bar: run.observers.append(ProgressBar(isRoot: communicator.isRoot))
        case .lines: run.observers.append(EpochLines(console: console))
        case .silent, .auto: break
        }
        if let history {
            let completedEpochs = state.completedEpochs
            let writer: TrainingHistory? = communicator.agree {
                communicator.isRoot ? try TrainingHistory(path: history, completedEpochs: completedEpochs, evaluationSet: configuration.evaluationSet) : nil
            }
            if let writer { run.observers.append(writer) }
        }

        switch session.train() {
        case let .finished(evaluation):
            if let evaluation {
                let set = configuration.evaluationSet.rawValue
                console.line("\(set.capitalized) loss: \(Format.fixed(evaluation.meanLoss, 4)) - \(set) accuracy: \(Format.fixed(evaluation.accuracy, 4)) (\(evaluation.correct)/\(evaluation.seen))")
            }
            console.line("parameters sha256: \(state.parameterDigest)")
            communicator.finalize()
        case let .preempted(signal, checkpoint):
            console.line()
            console.line("Stopped by \(signal == 0 ? "a signal on another rank" : Preemption.signalName(signal)) after step \(state.optimizer.step) (epoch \(state.completedEpochs + (run.stepsIntoEpoch > 0 ? 1 : 0)))"
                         + (checkpoint.map { "; checkpoint \($0); the same command with --resume auto goes on from it" } ?? "; no --checkpoint-dir, so nothing was saved"))
            console.line("parameters sha256: \(state.parameterDigest)")
            communicator.finishAndExit(Preemption.exitStatus)
        }
    }
}
