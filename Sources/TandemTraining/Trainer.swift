import TandemCore
import TandemData
import TandemMPI
#if canImport(Glibc)
import Glibc
#endif

/// One rank's side of data-parallel training.
///
/// Every step: this rank's run of the step's canonical micro-batches (`EpochSampler`), split over its
/// threads → each micro-batch forward and backward as one block, each layer's gradient summed over the
/// block, rounded once to fixed point (`FixedPointFormat.gradient`) and added to one `Int64` buffer (or,
/// where a rank holds one micro-batch and the allreduce can round on receipt, kept as floats for it to
/// round: `GradientAccumulator`) → one allreduce of that buffer, in which each rank turns the exact
/// sums of its share into the optimizer's update of that share (the same arithmetic, element by
/// element, wherever it runs) and the updated weights are gathered to every rank. Integer sums are
/// exact, and a block's content and arithmetic never depend on who computes it, so every element of the
/// summed gradient is the same number however the batch is split over ranks and threads, by whichever
/// allreduce: the weights are bit-identical at any rank and thread count.
///
/// Only the calling thread (thread 0) makes MPI calls; the other threads compute between them.
package final class Trainer {
    package let model: Model
    package let communicator: Communicator
    package let configuration: TrainingConfiguration
    package let state: TrainingState
    package let sampler: EpochSampler
    package let training: LabeledImages
    package let threads: WorkerThreads
    private let workers: [TrainingWorker]
    /// The workspace whose derived weights (`prepare`) every thread's workspaces share (and an evaluator's may).
    package let prepared: ModelWorkspace
    /// The exact cross-sample sums of each batch-normalisation layer.
    private let batchStatistics: [BatchStatistics]
    private let statisticsFormat: FixedPointFormat
    /// The rank's gradient (fixed-point sums, or its one micro-batch's floats), added up by the allreduce.
    private let accumulator: GradientAccumulator
    /// The step's summed loss, correct count and number of ranks asked to stop, added up apart.
    private let stepSums: FixedPointBuffer
    private let lossFormat: FixedPointFormat
    private var gradientFormat: FixedPointFormat { accumulator.format }
    /// Whether every rank holds the whole optimizer state, or only its share of the allreduce is current
    /// (the same on every rank: the gather that completes it is collective).
    private var optimizerStateIsComplete = true
    /// Whether the allreduce gets this rank's one micro-batch's gradient as floats, to round on receipt
    /// (`GradientAccumulator.Storage.blockGradient`), rather than its exact sums.
    package var sendsBlockGradients: Bool {
        if case .blockGradient = accumulator.storage { true } else { false }
    }
    /// Where thread 0's time went since the last `resetTimes()`, with the step's collective phases.
    package private(set) var times = PhaseTimes()

    /// - Parameter threads: the rank's threads (`configuration.threads` of them), shared with evaluation.
    package init(model: Model, training: LabeledImages, state: TrainingState,
                 configuration: TrainingConfiguration, communicator: Communicator, threads: WorkerThreads) {
        precondition(threads.count == configuration.threads, "the trainer runs on configuration.threads threads")
        self.model = model
        self.training = training
        self.state = state
        self.configuration = configuration
        self.communicator = communicator
        self.threads = threads
        let sampler = EpochSampler(sampleCount: training.count, globalBatchSize: configuration.globalBatchSize,
                                   microBatchSize: configuration.microBatchSize(for: model),
                                   rank: communicator.rank, rankCount: communicator.size, seed: configuration.seed)
        self.sampler = sampler
        let microBatches = sampler.microBatchesPerStep
        let prepared = ModelWorkspace(model: model, capacity: sampler.microBatchSize)
        self.prepared = prepared
        workers = (0..<threads.count).map { index in
            TrainingWorker(model: model, index: index, microBatches: sampler.threadMicroBatches(index, of: threads.count),
                           keepsEveryBlock: !model.synchronizedLayers.isEmpty, prepared: prepared)
        }
        batchStatistics = model.synchronizedLayers.map { BatchStatistics(model: model, layer: $0, threads: threads.count) }
        statisticsFormat = .statistics(addends: microBatches)
        accumulator = GradientAccumulator(model: model, format: .gradient(addends: microBatches), threads: threads.count,
                                          keepsBlockGradient: sampler.largestRankMicroBatchCount == 1
                                              && communicator.addsBlockGradients(count: model.parameterCount, algorithm: configuration.allreduce))
        if case let .blockGradient(gradient) = accumulator.storage {
            // Backward writes the rank's one micro-batch's gradient where the allreduce reads it.
            for worker in workers { worker.writeParameterGradients(to: gradient.pointer) }
        }
        stepSums = FixedPointBuffer(count: 3)
        lossFormat = .loss(addends: microBatches)
        model.prepare(parameters: state.parameters.pointer, workspace: prepared)
    }

    /// Phase times of thread 0 and the collectives, summed since the last reset.
    package func resetTimes() {
        times = PhaseTimes()
        for worker in workers { worker.times = PhaseTimes() }
    }

    /// Thread 0's compute phases with the step's own.
    package var phaseTimes: PhaseTimes {
        var result = times
        let own = workers[0].times
        result.data += own.data
        result.forward += own.forward
        result.backward += own.backward
        result.gradientSum += own.gradientSum
        return result
    }

    /// What one epoch's steps measured: the global batch's mean loss and accuracy over the steps run,
    /// the same bits on every rank and at every rank count.
    package struct EpochResult {
        package let loss: Double
        package let accuracy: Double
        package let samples: Int
        /// Set when a rank was asked to stop (`Preemption`): the epoch ended after this step (from 1).
        package let stoppedAfterStep: Int?
    }

    /// Trains epoch `epoch` (counted from 1) from step `first` (0: its start; more: resuming inside it,
    /// with the same order of samples). `afterStep` gets the step (from 1) and the epoch's summed loss,
    /// correct count and samples since `first`. Collective: every rank calls it with the same arguments.
    package func trainEpoch(_ epoch: Int, fromStep first: Int = 0,
                            afterStep: ((_ step: Int, _ lossSum: Double, _ correct: Int, _ samples: Int) -> Void)? = nil) -> EpochResult {
        let order = sampler.order(epoch: epoch)
        var lossSum = 0.0, correct = 0, samples = 0
        var stoppedAfterStep: Int?
        order.withUnsafeBufferPointer { order in
            for step in first..<sampler.stepsPerEpoch {
                let result = self.step(order: order.baseAddress!, step: step, epoch: epoch)
                lossSum += result.lossSum
                correct += result.correct
                samples += sampler.globalBatchSize
                afterStep?(step + 1, lossSum, correct, samples)
                if result.stopRequested {
                    stoppedAfterStep = step + 1
                    break
                }
            }
        }
        return EpochResult(loss: lossSum / Double(max(samples, 1)), accuracy: Double(correct) / Double(max(samples, 1)),
                           samples: samples, stoppedAfterStep: stoppedAfterStep)
    }

    /// One optimizer step on this rank's micro-batches of step `step` of `order`, epoch `epoch`'s.
    /// Returns the global batch's summed loss and number of correct predictions, and whether any rank
    /// has been asked to stop, the same on every rank.
    @discardableResult
    package func step(order: UnsafePointer<Int32>, step: Int, epoch: Int) -> (lossSum: Double, correct: Int, stopRequested: Bool) {
        if let failure = configuration.injectedFailure, failure.rank == communicator.rank, failure.mode != .corrupt,
           failure.step == state.optimizer.step + 1 {
            injectFailure(failure)
        }
        let batch = StepBlocks(order: order, step: step, epoch: epoch)
        for worker in workers {
            worker.lossSum = 0
            worker.correct = 0
        }
        if model.synchronizedLayers.isEmpty {
            forEachBlock { worker, slot in self.trainBlock(worker: worker, slot: slot, batch: batch) }
        } else {
            trainWithBatchStatistics(batch)
        }
        reportFailures()
        accumulator.finishStep()
        stepSums[0] = workers.reduce(0) { $0 &+ $1.lossSum }
        stepSums[1] = workers.reduce(0) { $0 &+ Int64($1.correct) }
        stepSums[2] = Preemption.signal != 0 ? 1 : 0

        if configuration.separateWait {
            let waitStart = monotonicSeconds()
            communicator.barrier()
            times.wait += monotonicSeconds() - waitStart
        }
        // Keras adds the regularisers' penalty at the step's weights to each batch's loss.
        let penalty = model.regularization.isEmpty ? 0 : model.regularizationPenalty(state.parameters.pointer)
        let reduceStart = monotonicSeconds()
        communicator.allreduceSum(stepSums.pointer, count: 3)
        let learningRate = configuration.learningRate(step: state.optimizer.step + 1, stepsPerEpoch: sampler.stepsPerEpoch)
        let optimizer = state.optimizer, parameters = state.parameters.pointer, format = gradientFormat
        optimizer.beginStep()
        var optimizerSeconds = 0.0
        func update(_ first: UnsafePointer<Int64>, _ second: UnsafePointer<Int64>?, range: Range<Int>) {
            let start = monotonicSeconds()
            optimizer.update(parameters, exactSums: first, second, format: format, range: range, learningRate: learningRate)
            optimizerSeconds += monotonicSeconds() - start
        }
        switch accumulator.storage {
        case let .exactSums(sums):
            communicator.allreduce(exactSums: sums.pointer, count: model.parameterCount, into: parameters,
                                   algorithm: configuration.allreduce, convert: update)
        case let .blockGradient(gradient):
            communicator.allreduce(blockGradients: gradient.pointer, count: model.parameterCount, into: parameters,
                                   algorithm: configuration.allreduce, round: { first, second, count, sums in
                // Both were checked on the rank that computed them (`GradientAccumulator.add`).
                let inRange = format.store(first, count: count, into: sums) && format.accumulate(second, count: count, into: sums)
                precondition(inRange, "a checked micro-batch gradient rounded out of range")
            }, convert: update)
        }
        optimizerStateIsComplete = communicator.size == 1
        let prepareStart = monotonicSeconds()
        model.prepare(parameters: parameters, workspace: prepared)
        let end = monotonicSeconds()
        times.allreduce += prepareStart - reduceStart - optimizerSeconds
        times.optimizer += end - prepareStart + optimizerSeconds
        times.steps += 1
        if let failure = configuration.injectedFailure, failure.rank == communicator.rank, failure.mode == .corrupt,
           failure.step == state.optimizer.step {
            injectFailure(failure)
        }
        return (lossFormat.value(stepSums[0]) + penalty * Double(configuration.globalBatchSize), Int(stepSums[1]), stepSums[2] > 0)
    }

    /// Makes every rank's optimizer state whole: after the steps, each rank's moments are current only
    /// for its share of the elements. Call before reading or comparing the state (checkpoints, the
    /// ranks' agreement check). Collective.
    package func completeOptimizerState() {
        guard !optimizerStateIsComplete else { return }
        for moments in [state.optimizer.firstMoment, state.optimizer.secondMoment] {
            communicator.gatherShares(moments.pointer, count: model.parameterCount, algorithm: configuration.allreduce)
        }
        optimizerStateIsComplete = true
    }

    // MARK: Blocks

    /// Where one step's samples are: the epoch's order, the step, the epoch.
    private struct StepBlocks {
        let order: UnsafePointer<Int32>
        let step: Int
        let epoch: Int
    }

    /// Runs `body(worker, slot)` for every micro-batch of this rank, each thread on its own, and adds
    /// the time thread 0 then waits for the others to `times.wait`.
    private func forEachBlock(_ body: (TrainingWorker, Int) -> Void) {
        var ownEnd = 0.0
        threads.run { thread in
            let worker = workers[thread]
            for slot in 0..<worker.microBatches.count { body(worker, slot) }
            if thread == 0 { ownEnd = monotonicSeconds() }
        }
        if threads.count > 1 { times.wait += monotonicSeconds() - ownEnd }
    }

    /// Writes micro-batch `slot` of the worker's run into its workspace: the images as floats, which
    /// samples they are.
    private func load(worker: TrainingWorker, slot: Int, batch: StepBlocks) -> ModelWorkspace {
        let start = monotonicSeconds()
        let workspace = worker.workspace(slot)
        let positions = sampler.microBatch(worker.microBatches.lowerBound + slot, step: batch.step)
        let indices = worker.indices(slot)
        for (sample, position) in positions.enumerated() {
            indices[sample] = batch.order[position]
            training.writeImage(Int(batch.order[position]), to: workspace.input + sample * model.inputShape.count)
        }
        workspace.count = positions.count
        workspace.samples = SampleBlock(training: true, seed: configuration.seed, epoch: batch.epoch, indices: indices)
        worker.times.data += monotonicSeconds() - start
        return workspace
    }

    /// A block's loss and the gradient the backward pass starts from; adds the loss and the correct
    /// count to the worker's sums.
    private func beginBackward(worker: TrainingWorker, workspace: ModelWorkspace) {
        let indices = workspace.samples.indices!
        let result = model.beginBackward(labels: { Int(self.training.labels[Int(indices[$0])]) },
                                         scale: 1 / Float(configuration.globalBatchSize),
                                         labelSmoothing: configuration.recipe.labelSmoothing, workspace: workspace)
        worker.correct += result.correct
        if let loss = lossFormat.fixedPoint(result.lossSum) {
            worker.lossSum &+= loss
        } else {
            worker.noteFailure(TrainingFailure(samples: workspace, problem: "the loss summed over the micro-batch is \(result.lossSum)"))
        }
    }

    /// Backward through layers `range` of the block in `workspace`, each layer's gradient added to the
    /// exact sums as soon as it is written.
    private func backward(layers range: Range<Int>, worker: TrainingWorker, workspace: ModelWorkspace) {
        let start = monotonicSeconds()
        var summing = 0.0
        let threadCount = threads.count
        model.backward(layers: range, parameters: state.parameters.pointer, workspace: workspace) { layer, gradient in
            let sumStart = monotonicSeconds()
            if !accumulator.add(layer: layer, gradient: gradient, offset: model.parameterOffsets[layer],
                                thread: worker.index, threads: threadCount) {
                worker.noteFailure(outOfRange(layer: layer, gradient: gradient, workspace: workspace))
            }
            summing += monotonicSeconds() - sumStart
        }
        worker.times.backward += monotonicSeconds() - start - summing
        worker.times.gradientSum += summing
    }

    private func forward(layers range: Range<Int>, worker: TrainingWorker, workspace: ModelWorkspace) {
        let start = monotonicSeconds()
        model.forward(layers: range, parameters: state.parameters.pointer, workspace: workspace)
        worker.times.forward += monotonicSeconds() - start
    }

    /// One micro-batch of a model without batch-norm, start to end.
    private func trainBlock(worker: TrainingWorker, slot: Int, batch: StepBlocks) {
        let workspace = load(worker: worker, slot: slot, batch: batch)
        forward(layers: model.layers.indices, worker: worker, workspace: workspace)
        beginBackward(worker: worker, workspace: workspace)
        backward(layers: model.layers.indices, worker: worker, workspace: workspace)
    }

    // MARK: Models with batch-synchronised layers (batch-norm)

    /// The step of a model with batch-norm: every local block runs up to a batch-norm layer, the ranks
    /// add up its per-channel statistics exactly (each block's sums rounded once), every block goes on;
    /// backward alike. Each block has its own workspace.
    private func trainWithBatchStatistics(_ batch: StepBlocks) {
        var first = 0
        for (index, statistics) in batchStatistics.enumerated() {
            forEachBlock { worker, slot in
                let workspace = index == 0 ? self.load(worker: worker, slot: slot, batch: batch) : worker.workspace(slot)
                if index > 0 { self.normalize(self.batchStatistics[index - 1], worker: worker, workspace: workspace) }
                self.forward(layers: first..<statistics.layer, worker: worker, workspace: workspace)
                self.channelSums(statistics, worker: worker, workspace: workspace, centered: false)
            }
            computeStatistics(statistics)
            first = statistics.layer + 1
        }
        let last = batchStatistics.last!
        let backwardSynchronized = batchStatistics.filter { model.gradientPlan.runsBackward[$0.layer] }
        forEachBlock { worker, slot in
            let workspace = worker.workspace(slot)
            self.normalize(last, worker: worker, workspace: workspace)
            self.forward(layers: first..<self.model.layers.count, worker: worker, workspace: workspace)
            self.beginBackward(worker: worker, workspace: workspace)
            let end = backwardSynchronized.last.map { $0.layer + 1 } ?? 0
            self.backward(layers: end..<self.model.layers.count, worker: worker, workspace: workspace)
            if let statistics = backwardSynchronized.last { self.gradientSums(statistics, worker: worker, workspace: workspace) }
        }
        for (position, statistics) in backwardSynchronized.enumerated().reversed() {
            combine(statistics, count: 2 * statistics.normalization.channels)
            gradientFormat.convert(statistics.sums.pointer, count: 2 * statistics.normalization.channels, to: statistics.globalGradientSums.pointer)
            let below = position > 0 ? backwardSynchronized[position - 1] : nil
            forEachBlock { worker, slot in
                let workspace = worker.workspace(slot)
                self.inputGradient(statistics, workspace: workspace)
                self.backward(layers: (below.map { $0.layer + 1 } ?? 0)..<statistics.layer, worker: worker, workspace: workspace)
                if let below { self.gradientSums(below, worker: worker, workspace: workspace) }
            }
        }
    }

    /// Batch-norm forward in training: the global batch's mean (from the blocks' sums, which have run up to
    /// the layer), then its variance: two exact sums, two small allreduces.
    private func computeStatistics(_ statistics: BatchStatistics) {
        let layer = statistics.normalization, channels = layer.channels
        let values = Double(configuration.globalBatchSize * layer.inputShape.height * layer.inputShape.width)
        for target in [statistics.mean, statistics.variance] {
            if target === statistics.variance {
                forEachBlock { worker, slot in self.channelSums(statistics, worker: worker, workspace: worker.workspace(slot), centered: true) }
            }
            reportFailures()
            combine(statistics, count: channels)
            for channel in 0..<channels { target[channel] = Float(statisticsFormat.value(statistics.sums[channel]) / values) }
        }
        layer.updateMovingStatistics(state.parameters.pointer + model.parameterOffsets[statistics.layer],
                                     mean: statistics.mean.pointer, variance: statistics.variance.pointer)
    }

    /// One block's per-channel sums (of the input, or of its squared deviations from the batch mean),
    /// rounded once and added to the worker's sums.
    private func channelSums(_ statistics: BatchStatistics, worker: TrainingWorker, workspace: ModelWorkspace, centered: Bool) {
        let start = monotonicSeconds()
        let layer = statistics.normalization, channels = layer.channels
        let blockSums = worker.blockSums.pointer, sums = statistics.threadSums[worker.index].pointer
        if worker.isFirstBlock(workspace) { statistics.threadSums[worker.index].fill(with: 0) }
        layer.channelSums(of: workspace.layerInput(statistics.layer), count: workspace.count,
                          centeredOn: centered ? statistics.mean.pointer : nil, into: blockSums)
        if !statisticsFormat.accumulate(blockSums, count: channels, into: sums) {
            worker.noteFailure(TrainingFailure(samples: workspace, problem: "the input of layer \(statistics.layer + 1) (\(layer.name)) is not finite or beyond the range of its exact sums (\(statisticsFormat.limit) per micro-batch and channel)"))
        }
        worker.times.forward += monotonicSeconds() - start
    }

    /// The threads' exact sums of `count` statistics into `statistics.sums`, then across ranks.
    private func combine(_ statistics: BatchStatistics, count: Int) {
        statistics.sums.fill(with: 0)
        for (thread, sums) in statistics.threadSums.enumerated() where !workers[thread].microBatches.isEmpty {
            for index in 0..<count { statistics.sums[index] &+= sums[index] }
        }
        communicator.allreduceSum(statistics.sums.pointer, count: count)
    }

    private func normalize(_ statistics: BatchStatistics, worker: TrainingWorker, workspace: ModelWorkspace) {
        let start = monotonicSeconds()
        let parameters = state.parameters.pointer + model.parameterOffsets[statistics.layer]
        statistics.normalization.normalize(workspace.forwardMemory(layer: statistics.layer, parameters: parameters),
                                           mean: statistics.mean.pointer, variance: statistics.variance.pointer)
        worker.times.forward += monotonicSeconds() - start
    }

    /// Batch-norm backward, first half: one block's Σdy and Σdy·x̂ per channel into the worker's sums;
    /// its gamma and beta gradient to the exact gradient sums.
    private func gradientSums(_ statistics: BatchStatistics, worker: TrainingWorker, workspace: ModelWorkspace) {
        let start = monotonicSeconds()
        let layer = statistics.normalization, index = statistics.layer, channels = layer.channels
        let memory = model.backwardMemory(layer: index, parameters: state.parameters.pointer + model.parameterOffsets[index],
                                          workspace: workspace)
        if worker.isFirstBlock(workspace) { statistics.threadSums[worker.index].fill(with: 0) }
        layer.gradientSums(memory, into: worker.blockSums.pointer)
        if !gradientFormat.accumulate(worker.blockSums.pointer, count: 2 * channels, into: statistics.threadSums[worker.index].pointer) {
            worker.noteFailure(outOfRange(layer: index, gradient: memory.parameterGradient, workspace: workspace))
        }
        let middle = monotonicSeconds()
        if !accumulator.add(layer: index, gradient: memory.parameterGradient, offset: model.parameterOffsets[index],
                            thread: worker.index, threads: threads.count) {
            worker.noteFailure(outOfRange(layer: index, gradient: memory.parameterGradient, workspace: workspace))
        }
        let end = monotonicSeconds()
        worker.times.backward += middle - start
        worker.times.gradientSum += end - middle
    }

    /// Batch-norm backward, second half: one block's input gradient from the global sums.
    private func inputGradient(_ statistics: BatchStatistics, workspace: ModelWorkspace) {
        let layer = statistics.normalization, index = statistics.layer
        let values = configuration.globalBatchSize * layer.inputShape.height * layer.inputShape.width
        let memory = model.backwardMemory(layer: index, parameters: state.parameters.pointer + model.parameterOffsets[index],
                                          workspace: workspace)
        layer.inputGradient(memory, variance: statistics.variance.pointer, sums: statistics.globalGradientSums.pointer, count: values)
        workspace.finishBackward(layer: index)
    }

    // MARK: Failures

    /// A block's gradient of layer `layer` out of range: names the first bad value.
    private func outOfRange(layer index: Int, gradient: UnsafePointer<Float>, workspace: ModelWorkspace) -> TrainingFailure {
        let layer = model.layers[index]
        var offset = 0, problem = "a gradient of layer \(index + 1) (\(layer.name)) is out of range"
        search: for block in layer.parameterBlocks {
            for element in offset..<offset + block.count where gradientFormat.fixedPoint(gradient[element]) == nil {
                problem = "the gradient of layer \(index + 1) (\(layer.name)) \(block.name), summed over the micro-batch, is \(gradient[element] * Float(configuration.globalBatchSize))"
                break search
            }
            offset += block.count
        }
        return TrainingFailure(samples: workspace, problem: problem)
    }

    /// Ends the job over the first failure any thread noted (the lowest thread's): training diverged.
    private func reportFailures() {
        guard let failure = workers.lazy.compactMap(\.failure).first else { return }
        Fatal.fail("step \(state.optimizer.step + 1), training sample\(failure.samples.contains(",") ? "s" : "") \(failure.samples) (a micro-batch): \(failure.problem); training diverged"
                   + " (the exact sums take finite micro-batch gradients below \(gradientFormat.limit * Double(configuration.globalBatchSize)) and losses below \(lossFormat.limit))",
                   communicator: communicator)
    }

    private func injectFailure(_ failure: InjectedFailure) {
        let step = state.optimizer.step + 1
        switch failure.mode {
        case .error:
            Fatal.fail("step \(step), training: injected failure (--inject-failure)", communicator: communicator)
        case .exit:
            StandardError.write("tandem: rank \(communicator.rank): exiting at step \(step) without notice (--inject-failure)")
            exit(1)
        case .hang:
            StandardError.write("tandem: rank \(communicator.rank): hanging at step \(step) (--inject-failure)")
            while true { sleep(60) }
        case .corrupt:
            // After the step's update, as a fault in this rank's memory would strike (a flip before the
            // update would be overwritten by the owner's update where this rank does not own the weight).
            state.parameters[0] = Float(bitPattern: state.parameters[0].bitPattern ^ (1 << 16))
        }
    }
}

/// What went wrong in one block, noted by the thread that found it and reported by thread 0.
struct TrainingFailure {
    /// The block's training-sample indices, e.g. `17, 4031, 92`.
    let samples: String
    let problem: String

    init(samples workspace: ModelWorkspace, problem: String) {
        let indices = workspace.samples.indices
        samples = (0..<workspace.count).map { sample in indices.map { String($0[sample]) } ?? "?" }.joined(separator: ", ")
        self.problem = problem
    }
}

/// One thread's share of a rank's step: its micro-batches (the same every step), their workspaces, and
/// the sums it adds up before thread 0 combines them.
final class TrainingWorker {
    let index: Int
    /// The micro-batches of each step this thread takes (indices within the step).
    let microBatches: Range<Int>
    /// One per micro-batch for a model with batch-norm (every block waits at each batch-norm layer),
    /// else one (blocks run one after another); none if the thread has no micro-batch.
    let workspaces: [ModelWorkspace]
    /// Each workspace's sample indices.
    private let sampleIndices: AlignedBuffer<Int32>
    /// A block's batch-norm sums in floats, before rounding.
    let blockSums: FloatBuffer
    var lossSum: Int64 = 0
    var correct = 0
    var failure: TrainingFailure?
    var times = PhaseTimes()

    init(model: Model, index: Int, microBatches: Range<Int>, keepsEveryBlock: Bool, prepared: ModelWorkspace) {
        self.index = index
        self.microBatches = microBatches
        let count = microBatches.isEmpty ? 0 : keepsEveryBlock ? microBatches.count : 1
        var workspaces: [ModelWorkspace] = []
        for slot in 0..<count {
            // Thread 0's first block uses the workspace that holds the derived weights.
            workspaces.append(index == 0 && slot == 0 ? prepared
                              : ModelWorkspace(model: model, capacity: prepared.capacity,
                                               sharing: slot == 0 ? .prepared(prepared) : .preparedAndScratch(workspaces[0])))
        }
        self.workspaces = workspaces
        sampleIndices = AlignedBuffer(count: max(count, 1) * prepared.capacity)
        blockSums = FloatBuffer(count: 2 * (model.synchronizedLayers.map { (model.layers[$0] as! any BatchSynchronizedLayer).channels }.max() ?? 0))
    }

    /// Makes backward write the parameter gradients of every block to `gradients` (the flat layout).
    func writeParameterGradients(to gradients: UnsafeMutablePointer<Float>) {
        for workspace in workspaces { workspace.parameterGradients = gradients }
    }

    func workspace(_ slot: Int) -> ModelWorkspace { workspaces[slot % workspaces.count] }
    func indices(_ slot: Int) -> UnsafeMutablePointer<Int32> { sampleIndices.pointer + (slot % workspaces.count) * workspaces[0].capacity }
    func isFirstBlock(_ workspace: ModelWorkspace) -> Bool { workspace === workspaces[0] }

    func noteFailure(_ failure: TrainingFailure) {
        if self.failure == nil { self.failure = failure }
    }
}

/// One batch-normalisation layer's buffers for the exact cross-sample sums, allocated once.
private final class BatchStatistics {
    let layer: Int
    let normalization: any BatchSynchronizedLayer
    /// The global batch's sums (per channel: one statistic, or Σdy and Σdy·x̂).
    let sums: FixedPointBuffer
    /// Each thread's sums of its blocks.
    let threadSums: [FixedPointBuffer]
    /// After backward's allreduce, the global Σdy and Σdy·x̂.
    let globalGradientSums: FloatBuffer
    let mean: FloatBuffer
    let variance: FloatBuffer

    init(model: Model, layer: Int, threads: Int) {
        self.layer = layer
        normalization = model.layers[layer] as! any BatchSynchronizedLayer
        let channels = normalization.channels
        sums = FixedPointBuffer(count: 2 * channels)
        threadSums = (0..<threads).map { _ in FixedPointBuffer(count: 2 * channels) }
        globalGradientSums = FloatBuffer(count: 2 * channels)
        mean = FloatBuffer(count: channels)
        variance = FloatBuffer(count: channels)
    }
}
