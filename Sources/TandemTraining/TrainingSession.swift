import Foundation
import TandemCore
import TandemData
import TandemInterchange
import TandemMPI

/// What a training run is asked to do. What is nil takes the checkpoint's value when the run resumes,
/// else the built-in model's or Keras's default (`TrainingDefaults`).
package struct TrainingRequest {
    /// The model of a new run (nil: the tutorial's); a resumed run keeps its checkpoint's, and refuses another.
    package var model: ModelSource?
    package var convolution: ConvolutionAlgorithm?
    package var data = DataSource()
    /// Only the first this many training images.
    package var limit: Int?
    /// Total epochs; a resumed run goes on up to this number.
    package var epochs: Int?
    package var globalBatchSize: Int?
    package var microBatchSize: Int?
    package var recipe = RecipeOverrides()
    package var seed: UInt64?
    package var checkpointDirectory: String?
    package var checkpointEverySteps: Int?
    package var keepCheckpoints: Int?
    package var continuesAfterCheckpointFailure = false
    /// A checkpoint file, or a directory's newest usable checkpoint; `auto`: `checkpointDirectory`'s if it
    /// has one, else a new run (so that one command line starts a run and continues it after a requeue).
    package var resume: String?
    /// Weights of the same model to start a new run from: a `.keras`, `.weights.h5` or `.safetensors` file
    /// (rank 0 reads it).
    package var initialWeights: String?
    package var evaluateEveryEpoch = true
    package var allreduce = AllreduceAlgorithm.tree
    package var threads = 1
    package var injectedFailure: InjectedFailure?

    package static let defaultSeed: UInt64 = 1

    package init() {}

    /// Which of the training set's images are read: the first `limit`, or all.
    var trainingImages: ((Int) -> Range<Int>)? {
        limit.map { limit in { count in 0..<min(limit, count) } }
    }
}

/// A training run made ready on every rank from a `TrainingRequest`: the checkpoint-directory policy,
/// the recipe over the checkpoint's, the ranks' agreement on the settings, the data (picture caches
/// decoded), the state broadcast from rank 0 and checked. Collective: every rank makes one, in step. A
/// problem throws a `StartupFailure` on every rank, the lowest rank that met it holding the error
/// (`Communicator.agreeing`): nothing hangs, nothing exits. (Ranks holding different parameters after
/// the broadcast, a broken invariant rather than bad input, still end the job through `Fatal`.)
package final class TrainingSession {
    package let communicator: Communicator
    package let configuration: TrainingConfiguration
    package let model: Model
    package let dataset: any ImageDataset
    /// The start-up report's words for the data: the path, and for picture folders what was found.
    package let dataDescription: String
    /// The checkpoint this run goes on from.
    package let restored: RestoredRun?
    package let state: TrainingState
    package let trainer: Trainer
    package let evaluator: Evaluator
    /// The loop; add observers (progress, history) before `train()`.
    package let run: TrainingRun

    /// How a start went: a session ready to train, or (with `resume` `auto`) a run already complete.
    package enum Start {
        case ready(TrainingSession)
        case complete(checkpoint: String, epochs: Int, parameterDigest: String)
    }

    /// Prepares the run on every rank. `decodingProgress` reports the decoding of picture folders on rank 0
    /// (pictures done, in all, seconds).
    package static func start(_ request: TrainingRequest, communicator: Communicator, threads: WorkerThreads,
                              decodingProgress: ((Int, Int, Double) -> Void)? = nil) throws -> Start {
        try communicator.agreeingOnKernelLevel()
        // The run's identity: from the request, or from the checkpoint being resumed.
        var resumeFrom = request.resume
        if request.resume == "auto", let directory = request.checkpointDirectory {
            // Rank 0 looks (other hosts may not see its disk) and tells everyone.
            var found = communicator.isRoot && !CheckpointDirectory.checkpoints(in: directory).isEmpty ? 1 : 0
            communicator.broadcast(&found, root: 0)
            resumeFrom = found == 1 ? directory : nil
        }
        let restored = try resumeFrom.map { try RestoredRun.restoring($0, convolution: request.convolution, optimizerState: true, communicator: communicator) }
        let defaults = TrainingDefaults.forModel(named: request.model?.name ?? "tutorial")
        // A resumed run goes on to the epochs it started with (those its schedule decays over).
        let epochs = request.epochs ?? restored.map { $0.recipe.decayEpochs > 0 ? $0.recipe.decayEpochs : defaults.epochs } ?? defaults.epochs
        var configuration = TrainingConfiguration()
        configuration.epochs = epochs
        configuration.allreduce = request.allreduce
        configuration.checkpointDirectory = request.checkpointDirectory
        configuration.checkpointEverySteps = request.checkpointEverySteps
        configuration.keepCheckpoints = request.keepCheckpoints
        configuration.continuesAfterCheckpointFailure = request.continuesAfterCheckpointFailure
        configuration.evaluateEveryEpoch = request.evaluateEveryEpoch
        configuration.injectedFailure = request.injectedFailure
        configuration.globalBatchSize = request.globalBatchSize ?? restored?.globalBatchSize ?? defaults.globalBatchSize
        configuration.microBatchSize = request.microBatchSize ?? restored?.microBatchSize
        configuration.threads = threads.count
        configuration.seed = request.seed ?? restored?.seed ?? TrainingRequest.defaultSeed

        try communicator.agreeing {
            if let restored {
                if let seed = request.seed, seed != restored.seed {
                    throw UsageError("--seed \(seed) differs from the checkpoint's seed \(restored.seed); a resumed run keeps its seed")
                }
                if let batchSize = request.globalBatchSize, batchSize != restored.globalBatchSize {
                    throw UsageError("--batch-size \(batchSize) differs from the checkpoint's global batch \(restored.globalBatchSize); a resumed run keeps its batch")
                }
                if let size = request.microBatchSize, size != restored.microBatchSize {
                    throw UsageError("--micro-batch \(size) differs from the checkpoint's micro-batch \(restored.microBatchSize); a resumed run keeps it (it decides the bits)")
                }
                configuration.recipe = try request.recipe.applied(to: restored.recipe, resumed: true)
                if restored.recipe.schedule == .cosine, epochs != restored.recipe.decayEpochs {
                    throw UsageError("--epochs \(epochs) differs from the \(restored.recipe.decayEpochs) epochs the checkpoint's cosine schedule decays over; a resumed run keeps its schedule")
                }
                if restored.state.completedEpochs >= epochs, request.resume != "auto" {
                    throw UsageError("\(restored.path) has already completed \(restored.state.completedEpochs) epochs; pass --epochs above that to continue")
                }
            } else {
                (configuration.recipe, configuration.recipeOrigin) = try request.recipe.newRun(model: request.model ?? ModelSource(), defaults: defaults.recipe)
                configuration.recipe.decayEpochs = epochs
            }
            if let directory = request.checkpointDirectory { try CheckpointDirectory.prepare(directory, isRoot: communicator.isRoot) }
        }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let recipeJSON = (try? encoder.encode(configuration.recipe)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        try communicator.agreeingOnSettings([
            // Not the data's path: hosts may hold the same data at different paths.
            ("--model", request.model?.name ?? "tutorial"), ("--limit", "\(request.limit ?? -1)"),
            ("--seed", "\(configuration.seed)"), ("--batch-size", "\(configuration.globalBatchSize)"), ("--epochs", "\(epochs)"),
            ("--micro-batch", configuration.microBatchSize.map(String.init) ?? "the model's default"),
            ("the optimiser or its schedule", recipeJSON), ("--allreduce", "\(request.allreduce)"),
            // Only rank 0 writes; whether there is a directory decides the collectives at each checkpoint.
            ("--checkpoint-dir", request.checkpointDirectory == nil ? "none" : "given"),
            ("--checkpoint-every", "\(request.checkpointEverySteps ?? 0)"), ("--resume", request.resume ?? ""),
            ("--initial-weights", request.initialWeights ?? ""), ("--evaluate-every-epoch", "\(request.evaluateEveryEpoch)"),
        ])

        // `auto` on a run that has finished: nothing to do (a requeued job may start once more).
        if request.resume == "auto", let restored, restored.state.completedEpochs >= epochs {
            return .complete(checkpoint: restored.path, epochs: restored.state.completedEpochs, parameterDigest: restored.state.parameterDigest)
        }
        let network = try communicator.agreeing {
            if let restored {
                // The same request may continue a run (`auto`): the same model is fine.
                if let given = request.model, try given.description() != restored.model.description {
                    throw UsageError("--model \(given.name) is not the checkpoint's model (\(restored.model.description.name)); a resumed run keeps its model")
                }
                return restored.model
            }
            return try (request.model ?? ModelSource()).model(convolution: request.convolution)
        }
        let runSeed = configuration.seed
        let dataset = try communicator.agreeing { try request.data.dataset(for: network, seed: runSeed) }
        let pictures = try preparePictureCaches(dataset, communicator: communicator, progress: decodingProgress)
        configuration.data = try communicator.agreeing {
            let data = try (dataset as? PictureFolders)?.dataDescription() ?? DataDescription()
            if let restored, !restored.data.isEmpty || !data.isEmpty, restored.data != data {
                throw UsageError("--data \(dataset.path) gives classes \(data.classNames?.joined(separator: ", ") ?? "without names"); the checkpoint was trained on \(restored.data.classNames?.joined(separator: ", ") ?? "data without class names"), and a resumed run keeps its classes")
            }
            return data
        }
        configuration.evaluationSet = dataset.evaluationSet
        let microBatchSize = configuration.microBatchSize(for: network)
        let (training, testShard) = try communicator.agreeing {
            try dataset.validate()
            let training = try dataset.load(.train, keeping: request.trainingImages).withByteScale(network.byteScale)
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
            if restored == nil, communicator.isRoot, let directory = request.checkpointDirectory,
               let newest = CheckpointDirectory.checkpoints(in: directory).first {
                throw UsageError("--checkpoint-dir \(directory) already holds another run's checkpoints (newest \(newest.name)); continue that run with --resume auto, or name an empty directory")
            }
            return (training, testShard)
        }

        // Rank 0's state goes to everyone; then every rank checks that it holds the same bits.
        let state = restored?.state ?? TrainingState(model: network, seed: configuration.seed, optimizer: configuration.recipe.optimizer)
        if let initialWeights = request.initialWeights {
            let weights: [Float]? = try communicator.agreeing {
                if restored != nil {
                    // With `auto` the same request continues the run it started: the weights are the checkpoint's.
                    guard request.resume == "auto" else { throw UsageError("--initial-weights starts a new run; a resumed run goes on from its checkpoint's weights") }
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

        let trainer = Trainer(model: network, training: training, state: state, configuration: configuration,
                              communicator: communicator, threads: threads)
        let evaluator = Evaluator(model: network, shard: testShard, totalCount: testShard.fileCount, blockSize: microBatchSize,
                                  communicator: communicator, threads: threads, labelSmoothing: configuration.recipe.labelSmoothing,
                                  preparedWith: trainer.prepared)
        let run = TrainingRun(trainer: trainer, evaluator: evaluator)
        try communicator.agreeing {
            let steps = run.stepsIntoEpoch
            if !(0..<trainer.sampler.stepsPerEpoch).contains(steps) {
                throw UsageError("\(restored?.path ?? "the checkpoint"): its \(state.optimizer.step) steps do not fit \(state.completedEpochs) epochs of \(trainer.sampler.stepsPerEpoch) steps")
            }
        }
        return .ready(TrainingSession(communicator: communicator, configuration: configuration, model: network, dataset: dataset,
                                      dataDescription: dataset.path + (pictures.map { ": " + $0 } ?? ""), restored: restored,
                                      state: state, trainer: trainer, evaluator: evaluator, run: run))
    }

    private init(communicator: Communicator, configuration: TrainingConfiguration, model: Model, dataset: any ImageDataset,
                 dataDescription: String, restored: RestoredRun?, state: TrainingState, trainer: Trainer, evaluator: Evaluator,
                 run: TrainingRun) {
        self.communicator = communicator
        self.configuration = configuration
        self.model = model
        self.dataset = dataset
        self.dataDescription = dataDescription
        self.restored = restored
        self.state = state
        self.trainer = trainer
        self.evaluator = evaluator
        self.run = run
    }

    /// Trains the remaining epochs; at the end, checks that every rank holds the same parameters.
    package func train() -> TrainingRun.Outcome {
        let outcome = run.run()
        if case .finished = outcome { run.verifyRanksAgree(at: "the end of training") }
        return outcome
    }

    /// A trainer for `tandem bench`: a new run of `request`'s model, recipe and data (or `syntheticImages`
    /// of the model's shape), no test set, no checkpoints.
    package static func benchmarkTrainer(_ request: TrainingRequest, syntheticImages: Int?, separateWait: Bool,
                                         communicator: Communicator, threads: WorkerThreads) throws -> (trainer: Trainer, dataPath: String) {
        try communicator.agreeingOnKernelLevel()
        let source = request.model ?? ModelSource()
        let network = try communicator.agreeing { try source.model(convolution: request.convolution) }
        var configuration = TrainingConfiguration()
        // The model's own recipe (a built-in's defaults) unless the request says otherwise: the steps a run would make.
        configuration.recipe = try communicator.agreeing {
            try request.recipe.newRun(model: source, defaults: TrainingDefaults.forModel(named: source.name).recipe).recipe
        }
        configuration.globalBatchSize = request.globalBatchSize ?? TrainingDefaults().globalBatchSize
        configuration.microBatchSize = request.microBatchSize
        configuration.threads = threads.count
        configuration.allreduce = request.allreduce
        configuration.separateWait = separateWait && communicator.size > 1
        let seed = configuration.seed, globalBatchSize = configuration.globalBatchSize
        let dataset = try communicator.agreeing { try request.data.dataset(for: network, seed: seed) }
        if syntheticImages == nil { _ = try preparePictureCaches(dataset, communicator: communicator) }
        let training = try communicator.agreeing {
            if let syntheticImages {
                return Benchmark.syntheticImages(count: max(syntheticImages, globalBatchSize), shape: network.inputShape,
                                                 classes: network.classCount, seed: 1).withByteScale(network.byteScale)
            }
            try dataset.validate()
            let training = try dataset.load(.train, keeping: request.trainingImages).withByteScale(network.byteScale)
            try training.checkFits(network)
            return training
        }
        let state = TrainingState(model: network, seed: configuration.seed, optimizer: configuration.recipe.optimizer)
        let trainer = Trainer(model: network, training: training, state: state, configuration: configuration, communicator: communicator,
                              threads: threads)
        return (trainer, syntheticImages == nil ? dataset.path : "synthetic")
    }
}
