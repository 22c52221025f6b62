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
    @OptionGroup var model: ModelOptions
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

    static let defaultSeed: UInt64 = 1

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

    func run() throws {
        let communicator = distributed.makeCommunicator()
        let console = Console(communicator: communicator)
        Preemption.install()

        // The run's identity: from the options, or from the checkpoint being resumed.
        var resumeFrom = resume
        if resume == "auto", let checkpointDir {
            // Rank 0 looks (other hosts may not see its disk) and tells everyone.
            var found = communicator.isRoot && !CheckpointDirectory.checkpoints(in: checkpointDir).isEmpty ? 1 : 0
            communicator.broadcast(&found, root: 0)
            resumeFrom = found == 1 ? checkpointDir : nil
        }
        let restored = resumeFrom.map { RestoredRun.restore($0, convolution: model.convolution.algorithm, communicator: communicator) }
        let defaults = TrainingDefaults.forModel(named: choice.nameOrPath ?? "tutorial")
        // A resumed run goes on to the epochs it started with (those its schedule decays over).
        let epochs = self.epochs ?? restored.map { $0.recipe.decayEpochs > 0 ? $0.recipe.decayEpochs : defaults.epochs } ?? defaults.epochs
        var configuration = TrainingConfiguration()
        configuration.epochs = epochs
        configuration.allreduce = distributed.allreduce
        configuration.checkpointDirectory = checkpointDir
        configuration.checkpointEverySteps = checkpointEvery
        configuration.keepCheckpoints = keep
        configuration.continuesAfterCheckpointFailure = checkpointFailure == .warn
        configuration.evaluateEveryEpoch = evaluateEveryEpoch
        configuration.injectedFailure = injectFailure.flatMap(InjectedFailure.init)
        configuration.globalBatchSize = batchSize ?? restored?.globalBatchSize ?? defaults.globalBatchSize
        configuration.microBatchSize = microBatch.size ?? restored?.microBatchSize
        configuration.threads = distributed.threads.resolved
        configuration.seed = seed ?? restored?.seed ?? Self.defaultSeed

        communicator.agree {
            if let restored {
                if let seed, seed != restored.seed {
                    throw UsageError("--seed \(seed) differs from the checkpoint's seed \(restored.seed); a resumed run keeps its seed")
                }
                if let batchSize, batchSize != restored.globalBatchSize {
                    throw UsageError("--batch-size \(batchSize) differs from the checkpoint's global batch \(restored.globalBatchSize); a resumed run keeps its batch")
                }
                if let size = microBatch.size, size != restored.microBatchSize {
                    throw UsageError("--micro-batch \(size) differs from the checkpoint's micro-batch \(restored.microBatchSize); a resumed run keeps it (it decides the bits)")
                }
                configuration.recipe = try recipe.applied(to: restored.recipe, resumed: true)
                if restored.recipe.schedule == .cosine, epochs != restored.recipe.decayEpochs {
                    throw UsageError("--epochs \(epochs) differs from the \(restored.recipe.decayEpochs) epochs the checkpoint's cosine schedule decays over; a resumed run keeps its schedule")
                }
                if restored.state.completedEpochs >= epochs, resume != "auto" {
                    throw UsageError("\(restored.path) has already completed \(restored.state.completedEpochs) epochs; pass --epochs above that to continue")
                }
            } else {
                (configuration.recipe, configuration.recipeOrigin) = try recipe.newRun(model: self.choice, defaults: defaults.recipe)
                configuration.recipe.decayEpochs = epochs
            }
            if let checkpointDir { try CheckpointDirectory.prepare(checkpointDir, isRoot: communicator.isRoot) }
        }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let recipeJSON = (try? encoder.encode(configuration.recipe)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        communicator.agreeOnSettings([
            // Not --data: hosts may hold the same data at different paths.
            ("--model", choice.nameOrPath ?? "tutorial"), ("--limit", "\(subset.limit ?? -1)"),
            ("--seed", "\(configuration.seed)"), ("--batch-size", "\(configuration.globalBatchSize)"), ("--epochs", "\(epochs)"),
            ("--micro-batch", configuration.microBatchSize.map(String.init) ?? "the model's default"),
            ("the optimiser or its schedule", recipeJSON), ("--allreduce", "\(distributed.allreduce)"),
            // Only rank 0 writes; whether there is a directory decides the collectives at each checkpoint.
            ("--checkpoint-dir", checkpointDir == nil ? "none" : "given"), ("--checkpoint-every", "\(checkpointEvery ?? 0)"),
            ("--resume", resume ?? ""),
            ("--initial-weights", initialWeights ?? ""), ("--evaluate-every-epoch", "\(evaluateEveryEpoch)"),
        ])

        // --resume auto on a run that has finished: nothing to do (a requeued job may start once more).
        if resume == "auto", let restored, restored.state.completedEpochs >= epochs {
            console.line("\(restored.path): the run is complete (\(restored.state.completedEpochs) epochs); nothing to do")
            console.line("parameters sha256: \(restored.state.parameterDigest)")
            communicator.finalize()
            return
        }
        let choice = self.choice, convolution = model.convolution.algorithm
        let network = communicator.agree {
            if let restored {
                // The same command line may continue a run (--resume auto): the same model is fine.
                if let given = choice.nameOrPath, try choice.description() != restored.model.description {
                    throw UsageError("--model \(given) is not the checkpoint's model (\(restored.model.description.name)); a resumed run keeps its model")
                }
                return restored.model
            }
            return try choice.model(convolution: convolution)
        }
        let runSeed = configuration.seed, data = self.data
        let dataset = communicator.agree { try data.dataset(for: network, seed: runSeed) }
        let pictures = preparePictureCaches(dataset, communicator: communicator)
        configuration.data = communicator.agree {
            let data = try (dataset as? PictureFolders)?.dataDescription() ?? DataDescription()
            if let restored, !restored.data.isEmpty || !data.isEmpty, restored.data != data {
                throw UsageError("--data \(dataset.path) gives classes \(data.classNames?.joined(separator: ", ") ?? "without names"); the checkpoint was trained on \(restored.data.classNames?.joined(separator: ", ") ?? "data without class names"), and a resumed run keeps its classes")
            }
            return data
        }
        configuration.evaluationSet = dataset.evaluationSet
        let subset = self.subset
        let microBatchSize = configuration.microBatchSize(for: network)
        let (training, testShard) = communicator.agree {
            try dataset.validate()
            let training = try dataset.load(.train, keeping: subset.range).withByteScale(network.byteScale)
            let testShard = try dataset.load(.test, keeping: {
                Evaluator.shard(count: $0, blockSize: microBatchSize, rank: communicator.rank, of: communicator.size)
            }).withByteScale(network.byteScale)
            for images in [training, testShard] { try images.checkFits(network) }
            if training.count < configuration.globalBatchSize {
                throw UsageError("\(training.count) training images are fewer than one global batch of \(configuration.globalBatchSize)")
            }
            if let restored, restored.trainingSamples != training.count {
                throw UsageError("the checkpoint was trained on \(restored.trainingSamples) images per epoch, this run has \(training.count); pass the same --limit to resume")
            }
            // Last of the checks, so that a bad input is named first: a new run would overwrite another
            // run's checkpoints of the same names.
            if restored == nil, communicator.isRoot, let checkpointDir,
               let newest = CheckpointDirectory.checkpoints(in: checkpointDir).first {
                throw UsageError("--checkpoint-dir \(checkpointDir) already holds another run's checkpoints (newest \(newest.name)); continue that run with --resume auto, or name an empty directory")
            }
            return (training, testShard)
        }

        // Rank 0's state goes to everyone; then every rank checks that it holds the same bits.
        let state = restored?.state ?? TrainingState(model: network, seed: configuration.seed, optimizer: configuration.recipe.optimizer)
        if let initialWeights {
            let weights: [Float]? = communicator.agree {
                if restored != nil {
                    // With --resume auto the same command continues the run it started: the weights are the checkpoint's.
                    guard resume == "auto" else { throw UsageError("--initial-weights starts a new run; a resumed run goes on from its checkpoint's weights") }
                    return nil
                }
                return communicator.isRoot ? try WeightsFormat.readWeights(model: network, from: initialWeights) : nil
            }
            if let weights { state.parameters.copy(from: weights) }   // rank 0's; the broadcast below gives them to all
        }
        state.broadcast(from: 0, communicator: communicator)
        let checksums = communicator.allreduceMinimumAndMaximum(state.checksum())
        if checksums.minimum != checksums.maximum {
            Fatal.fail("start-up: ranks hold different parameters after the broadcast", communicator: communicator)
        }

        let threads = distributed.makeThreads()
        let trainer = Trainer(model: network, training: training, state: state, configuration: configuration,
                              communicator: communicator, threads: threads)
        let evaluator = Evaluator(model: network, shard: testShard, totalCount: testShard.fileCount, blockSize: microBatchSize,
                                  communicator: communicator, threads: threads, labelSmoothing: configuration.recipe.labelSmoothing,
                                  preparedWith: trainer.prepared)
        let run = TrainingRun(trainer: trainer, evaluator: evaluator)
        run.printsRankFingerprints = rankFingerprints
        let verbosity = verbose.resolved
        let report = StartupReport(communicator: communicator, configuration: configuration, model: network, trainer: trainer,
                                   testCount: testShard.fileCount, dataPath: dataset.path + (pictures.map { ": " + $0 } ?? ""),
                                   resumedFrom: restored?.path)
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

        communicator.agree {
            let steps = run.stepsIntoEpoch
            if !(0..<trainer.sampler.stepsPerEpoch).contains(steps) {
                throw UsageError("\(restored?.path ?? "the checkpoint"): its \(state.optimizer.step) steps do not fit \(state.completedEpochs) epochs of \(trainer.sampler.stepsPerEpoch) steps")
            }
        }
        switch run.run() {
        case let .finished(evaluation):
            run.verifyRanksAgree(at: "the end of training")
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
