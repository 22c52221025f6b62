import Foundation
import TandemCore
import TandemMPI
import TandemTraining

/// The table rank 0 prints before the first step: who runs, where, with what.
struct StartupReport {
    let communicator: Communicator
    let configuration: TrainingConfiguration
    let model: Model
    let trainer: Trainer
    let testCount: Int
    let dataPath: String
    let resumedFrom: String?

    var learningRateDescription: String {
        let recipe = configuration.recipe
        var text = "\(recipe.learningRate), \(recipe.optimizer.description)"
        if recipe.learningRateScaling != .none {
            text += ", \(recipe.learningRateScaling.rawValue)-scaled for global batch \(configuration.globalBatchSize) vs \(recipe.referenceBatchSize): \(recipe.scaledLearningRate(globalBatchSize: configuration.globalBatchSize))"
        }
        if recipe.warmupEpochs > 0 { text += ", warm-up over \(recipe.warmupEpochs) epochs" }
        if recipe.schedule == .cosine { text += ", cosine decay to 0 over \(recipe.decayEpochs) epochs" }
        return text
    }

    var lossDescription: String {
        switch model.output {
        case .logits: "softmax cross-entropy on the model's outputs, its logits (predict and evaluate apply the softmax)"
        case .probabilities: "softmax cross-entropy, the model's last softmax fused into it"
        case .logit: "binary cross-entropy on the model's one output, the logit of class 1 (predict and evaluate apply the sigmoid)"
        case .probability: "binary cross-entropy, the model's last sigmoid fused into it"
        }
    }

    /// `after epoch 3`, or `in epoch 4 after step 450` for a checkpoint written inside an epoch.
    var resumePoint: String {
        let state = trainer.state
        let steps = state.optimizer.step - state.completedEpochs * trainer.sampler.stepsPerEpoch
        return steps == 0 ? "after epoch \(state.completedEpochs)" : "in epoch \(state.completedEpochs + 1) after step \(steps)"
    }

    func print(to console: Console) {
        let sampler = trainer.sampler
        let hosts = Dictionary(grouping: communicator.hostNames, by: { $0 })
        let hostSummary = hosts.keys.sorted().map { "\($0) ×\(hosts[$0]!.count)" }.joined(separator: ", ")
        let cores = ProcessHost.processorCount
        let threads = configuration.threads
        let convolutions = model.layers.compactMap { $0 as? Conv2D }.map(\.algorithm.rawValue)

        let microBatches = sampler.microBatchesPerStep
        let smallest = microBatches / communicator.size
        let rankShare = smallest == sampler.largestRankMicroBatchCount ? "\(smallest)" : "\(smallest)–\(sampler.largestRankMicroBatchCount)"
        console.line("Tandem: data-parallel training")
        let rows: [(String, String)] = [
            ("ranks", "\(communicator.size) on \(hosts.count) host\(hosts.count == 1 ? "" : "s") (\(hostSummary))"),
            ("threads per rank", "\(threads) (OpenBLAS \(BLASThreads.coreName), \(BLASThreads.current) thread each); \(cores) cores on \(communicator.hostName)"),
            ("kernels", KernelLevel.summary),
            ("global batch", "\(configuration.globalBatchSize), \(Format.grouped(sampler.stepsPerEpoch)) steps per epoch"),
            ("micro-batch", "\(sampler.microBatchSize) (\(microBatches) per step, \(rankShare) per rank): each one's sums rounded once, the same weights at any rank and thread count"),
            ("learning rate", learningRateDescription),
            ("recipe from", configuration.recipeOrigin),
            ("allreduce", "\(configuration.allreduce.rawValue) of exact fixed-point sums"
                + (trainer.sendsBlockGradients ? "; one micro-batch per rank, sent as floats and rounded on receipt (half the bytes)" : "")),
            ("convolution", convolutions.isEmpty ? "none" : convolutions.joined(separator: ", ")),
            ("model", "\(Format.grouped(model.parameterCount)) parameters, \(Format.fixed(Double(model.trainingFLOPsPerSample) / 1e6, 1)) MFLOP per training image"),
            ("loss", lossDescription
                + (configuration.recipe.labelSmoothing == 0 ? "" : ", label smoothing \(configuration.recipe.labelSmoothing)")),
            ("data", "\(dataPath) (\(Format.grouped(trainer.training.count)) train, \(Format.grouped(testCount)) \(configuration.evaluationSet.rawValue))"),
            ("input", trainer.training.pixels.isEmpty ? "floats as they are" : model.byteScaleDescription),
            ("seed", "\(configuration.seed)"),
            ("epochs", resumedFrom.map { "\(configuration.epochs), resuming \(resumePoint) from \($0)" } ?? "\(configuration.epochs)"),
            ("checkpoints", configuration.checkpointDirectory ?? "none"),
        ]
        for (name, value) in rows {
            console.line("  " + name.padding(toLength: 17, withPad: " ", startingAt: 0) + value)
        }
    }

    /// What may not be what the user meant: printed at every verbosity, `--verbose 0` included.
    func warn(to console: Console) {
        let hosts = Dictionary(grouping: communicator.hostNames, by: { $0 })
        let ranksHere = hosts[communicator.hostName]?.count ?? 1
        let cores = ProcessHost.processorCount
        let threads = configuration.threads
        let sampler = trainer.sampler
        for difference in model.description.compiledLoss?.differences(output: model.output, lastLayer: model.layers.last!.name) ?? [] {
            console.warning(difference)
        }
        if let idle = IdleWorkers(microBatches: sampler.microBatchesPerStep, ranks: communicator.size, threads: threads) {
            console.warning(idle.description(microBatchSize: sampler.microBatchSize, globalBatchSize: configuration.globalBatchSize))
        }
        if ranksHere * threads > cores {
            console.warning("\(ranksHere) ranks × \(threads) threads on \(communicator.hostName) exceed its \(cores) cores: oversubscribed, expect lower throughput (add --mca mpi_yield_when_idle 1 to mpirun)")
        }
    }
}

/// Ranks × threads beyond the micro-batches of a step: they idle every step (not an error; the result is the same).
struct IdleWorkers {
    let microBatches: Int
    let ranks: Int
    let threads: Int

    init?(microBatches: Int, ranks: Int, threads: Int) {
        guard ranks * threads > microBatches else { return nil }
        self.microBatches = microBatches
        self.ranks = ranks
        self.threads = threads
    }

    func description(microBatchSize: Int, globalBatchSize: Int) -> String {
        let workers = ranks * threads
        var text = "global batch \(globalBatchSize) in micro-batches of \(microBatchSize) is \(microBatches) micro-batch\(microBatches == 1 ? "" : "es") a step for \(ranks) rank\(ranks == 1 ? "" : "s") × \(threads) thread\(threads == 1 ? "" : "s"): \(workers - microBatches) of them idle every step; \(microBatches) ranks × threads would use them all"
        let smaller = (globalBatchSize + workers - 1) / workers
        if smaller < microBatchSize { text += " (or --micro-batch \(smaller), which changes the bits)" }
        return text
    }
}
