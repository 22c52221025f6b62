import TandemCore
import TandemData
import TandemMPI
#if canImport(Glibc)
import Glibc
#endif

/// One rank's side of data-parallel training.
///
/// Every step: this rank's slice of the global batch → one gradient per sample, rounded to fixed point
/// (`FixedPointFormat.gradient`) and added to one `Int64` buffer that also carries the samples' summed
/// loss and correct predictions → one allreduce of that buffer → the same float gradient and the same
/// optimizer update on every rank. Integer sums are exact, so every element of the summed gradient is
/// the same number however the batch is split, over however many ranks, by whichever allreduce: the
/// weights are bit-identical at any rank count.
public final class Trainer {
    public let model: Sequential
    public let communicator: Communicator
    public let configuration: TrainingConfiguration
    public let state: TrainingState
    public let sampler: EpochSampler
    public let training: LabeledImages
    private let workspace: ModelWorkspace
    /// One workspace per sample of this rank's share of a step when the model has batch-synchronised
    /// layers (their first is `workspace`); just `workspace` otherwise.
    private let workspaces: [ModelWorkspace]
    /// The exact cross-sample sums of each batch-normalisation layer.
    private let batchStatistics: [BatchStatistics]
    private let statisticsFormat: FixedPointFormat
    /// One sample's gradient; after the allreduce, the global batch's, followed by its summed loss and
    /// number of correct predictions.
    private let gradient: FloatBuffer
    /// The fixed-point sums the ranks add up: the gradient, then the loss, the correct count, and the
    /// number of ranks asked to stop (a preemption signal).
    private let sums: FixedPointBuffer
    private let gradientFormat: FixedPointFormat
    private let lossFormat: FixedPointFormat
    private var lossSlot: Int { model.parameterCount }
    private var correctSlot: Int { model.parameterCount + 1 }
    private var stopSlot: Int { model.parameterCount + 2 }
    /// Where time went since the last `resetTimes()`.
    public private(set) var times = PhaseTimes()

    public init(model: Sequential, training: LabeledImages, state: TrainingState,
                configuration: TrainingConfiguration, communicator: Communicator) {
        self.model = model
        self.training = training
        self.state = state
        self.configuration = configuration
        self.communicator = communicator
        sampler = EpochSampler(sampleCount: training.count, globalBatchSize: configuration.globalBatchSize,
                               rank: communicator.rank, rankCount: communicator.size, seed: configuration.seed)
        let workspace = ModelWorkspace(model: model)
        self.workspace = workspace
        let slots = model.synchronizedLayers.isEmpty ? 1 : max(sampler.largestRankBatchSize, 1)
        workspaces = [workspace] + (1..<slots).map { _ in ModelWorkspace(model: model, sharingWith: workspace) }
        batchStatistics = model.synchronizedLayers.map { BatchStatistics(model: model, layer: $0) }
        statisticsFormat = .statistics(globalBatchSize: configuration.globalBatchSize)
        gradient = FloatBuffer(count: model.parameterCount + 3)
        sums = FixedPointBuffer(count: model.parameterCount + 3)
        gradientFormat = .gradient(globalBatchSize: configuration.globalBatchSize)
        lossFormat = .loss(addends: configuration.globalBatchSize)
        model.prepare(parameters: state.parameters.pointer, workspace: workspace)
    }

    public func resetTimes() { times = PhaseTimes() }

    /// What one epoch's steps measured: the global batch's mean loss and accuracy over the steps run,
    /// the same bits on every rank and at every rank count.
    public struct EpochResult {
        public let loss: Double
        public let accuracy: Double
        public let samples: Int
        /// Set when a rank was asked to stop (`Preemption`): the epoch ended after this step (from 1).
        public let stoppedAfterStep: Int?
    }

    /// Trains epoch `epoch` (counted from 1) from step `first` (0: its start; more: resuming inside it,
    /// with the same order of samples). `afterStep` gets the step (from 1) and the epoch's summed loss,
    /// correct count and samples since `first`. Collective: every rank calls it with the same arguments.
    public func trainEpoch(_ epoch: Int, fromStep first: Int = 0,
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

    /// One optimizer step on the samples at positions `sampler.rankSlice(step:)` of `order`, epoch
    /// `epoch`'s. Returns the global batch's summed loss and number of correct predictions, and whether
    /// any rank has been asked to stop, the same on every rank.
    @discardableResult
    public func step(order: UnsafePointer<Int32>, step: Int, epoch: Int) -> (lossSum: Double, correct: Int, stopRequested: Bool) {
        if let failure = configuration.injectedFailure, failure.rank == communicator.rank,
           failure.step == state.optimizer.step + 1 {
            injectFailure(failure)
        }
        sums.fill(with: 0)
        if Preemption.signal != 0 { sums[stopSlot] = 1 }
        if model.synchronizedLayers.isEmpty {
            for position in sampler.rankSlice(step: step) {
                addSampleGradient(Int(order[position]), epoch: epoch)
            }
        } else {
            addBatchGradient(order: order, positions: sampler.rankSlice(step: step), epoch: epoch)
        }

        if configuration.separateWait {
            let waitStart = monotonicSeconds()
            communicator.barrier()
            times.wait += monotonicSeconds() - waitStart
        }
        let reduceStart = monotonicSeconds()
        communicator.allreduce(exactSums: sums.pointer, count: sums.count, into: gradient.pointer,
                               algorithm: configuration.allreduce, convert: convertSums)
        let optimizerStart = monotonicSeconds()
        let learningRate = configuration.learningRate(step: state.optimizer.step + 1, stepsPerEpoch: sampler.stepsPerEpoch)
        state.optimizer.update(parameters: state.parameters, gradient: gradient.pointer, learningRate: learningRate)
        model.prepare(parameters: state.parameters.pointer, workspace: workspace)
        let end = monotonicSeconds()
        times.allreduce += optimizerStart - reduceStart
        times.optimizer += end - optimizerStart
        times.steps += 1
        return (Double(gradient[lossSlot]), Int(gradient[correctSlot]), gradient[stopSlot] > 0)
    }

    /// The exact global sums of elements `range` (at `partial[0..<range.count]`) into `gradient[range]`:
    /// the gradient, the loss (rounded once to a float) and the correct count (exact below 2^24).
    private func convertSums(_ partial: UnsafePointer<Int64>, _ range: Range<Int>) {
        let gradientPart = range.clamped(to: 0..<model.parameterCount)
        gradientFormat.convert(partial, count: gradientPart.count, to: gradient.pointer + range.lowerBound)
        if range.contains(lossSlot) { gradient[lossSlot] = Float(lossFormat.value(partial[lossSlot - range.lowerBound])) }
        if range.contains(correctSlot) { gradient[correctSlot] = Float(partial[correctSlot - range.lowerBound]) }
        if range.contains(stopSlot) { gradient[stopSlot] = Float(partial[stopSlot - range.lowerBound]) }
    }

    /// One sample's forward and backward pass; adds `∂loss/∂parameters / globalBatch`, the loss and
    /// whether the prediction was correct to the fixed-point sums.
    private func addSampleGradient(_ sample: Int, epoch: Int) {
        let start = monotonicSeconds()
        training.writeImage(sample, to: workspace.input)
        workspace.sample = SampleContext(training: true, seed: configuration.seed, epoch: epoch, index: sample)
        let forwardStart = monotonicSeconds()
        let parameters = UnsafePointer(state.parameters.pointer)
        let logits = model.forward(parameters: parameters, workspace: workspace)
        let label = Int(training.labels[sample])
        let correct = SoftmaxCrossEntropy.predictedClass(logits: logits, classes: model.classCount) == label
        let backwardStart = monotonicSeconds()
        let loss = model.backward(label: label, scale: 1 / Float(configuration.globalBatchSize),
                                  parameters: parameters, parameterGradient: gradient.pointer, workspace: workspace)
        let sumStart = monotonicSeconds()
        addLoss(loss, correct: correct, sample: sample)
        guard gradientFormat.accumulate(gradient.pointer, count: model.parameterCount, into: sums.pointer) else {
            reportOutOfRange(sample: sample, loss: nil, layers: model.layers.indices)
        }
        let end = monotonicSeconds()
        times.data += forwardStart - start
        times.forward += backwardStart - forwardStart
        times.backward += sumStart - backwardStart
        times.gradientSum += end - sumStart
    }

    // MARK: Models with batch-synchronised layers (batch-norm)

    /// The step of a model with batch-norm: every local sample runs up to a batch-norm layer, the ranks
    /// add up its per-channel statistics exactly, every sample goes on; backward alike. Each sample has
    /// its own workspace; each parameter gradient is added to the fixed-point sums per sample, as in
    /// `addSampleGradient`, so the step's sums are the same however the batch is split.
    private func addBatchGradient(order: UnsafePointer<Int32>, positions: Range<Int>, epoch: Int) {
        let parameters = UnsafePointer(state.parameters.pointer)
        let count = positions.count
        let start = monotonicSeconds()
        for slot in 0..<count {
            let sample = Int(order[positions.lowerBound + slot])
            training.writeImage(sample, to: workspaces[slot].input)
            workspaces[slot].sample = SampleContext(training: true, seed: configuration.seed, epoch: epoch, index: sample)
        }
        let forwardStart = monotonicSeconds()
        var first = 0
        for statistics in batchStatistics {
            for slot in 0..<count { model.forward(layers: first..<statistics.layer, parameters: parameters, workspace: workspaces[slot]) }
            normalize(statistics, slots: count)
            first = statistics.layer + 1
        }
        for slot in 0..<count { model.forward(layers: first..<model.layers.count, parameters: parameters, workspace: workspaces[slot]) }

        let backwardStart = monotonicSeconds()
        let scale = 1 / Float(configuration.globalBatchSize)
        for slot in 0..<count {
            let sample = Int(order[positions.lowerBound + slot]), label = Int(training.labels[sample])
            let logits = UnsafePointer(workspaces[slot].logits)
            let correct = SoftmaxCrossEntropy.predictedClass(logits: logits, classes: model.classCount) == label
            addLoss(model.beginBackward(label: label, scale: scale, workspace: workspaces[slot]), correct: correct, sample: sample)
        }
        var end = model.layers.count
        for statistics in batchStatistics.reversed() where statistics.layer >= model.gradientStart {
            backward(layers: statistics.layer + 1..<end, order: order, positions: positions)
            backwardThroughNormalization(statistics, order: order, positions: positions)
            end = statistics.layer
        }
        backward(layers: 0..<end, order: order, positions: positions)
        let finish = monotonicSeconds()
        times.data += forwardStart - start
        times.forward += backwardStart - forwardStart
        times.backward += finish - backwardStart
    }

    /// Layers `range` backwards for every sample, each sample's parameter gradients added to the sums.
    private func backward(layers range: Range<Int>, order: UnsafePointer<Int32>, positions: Range<Int>) {
        guard !range.isEmpty else { return }
        let parameters = UnsafePointer(state.parameters.pointer)
        let first = model.parameterOffsets[range.lowerBound]
        let last = range.upperBound < model.layers.count ? model.parameterOffsets[range.upperBound] : model.parameterCount
        for slot in 0..<positions.count {
            model.backward(layers: range, parameters: parameters, parameterGradient: gradient.pointer, workspace: workspaces[slot])
            guard gradientFormat.accumulate(gradient.pointer + first, count: last - first, into: sums.pointer + first) else {
                reportOutOfRange(sample: Int(order[positions.lowerBound + slot]), loss: nil, layers: range)
            }
        }
    }

    /// Batch-norm forward in training: the global batch's mean, then variance (two exact sums, two
    /// small allreduces), then every sample normalised; the moving statistics updated once.
    private func normalize(_ statistics: BatchStatistics, slots: Int) {
        let layer = statistics.normalization, index = statistics.layer
        let channels = layer.channels
        let values = Double(configuration.globalBatchSize * layer.inputShape.height * layer.inputShape.width)
        for pass in 0..<2 {
            let target = pass == 0 ? statistics.mean : statistics.variance
            statistics.sums.fill(with: 0)
            for slot in 0..<slots {
                layer.channelSums(of: workspaces[slot].layerInput(index), centeredOn: pass == 0 ? nil : statistics.mean.pointer,
                                  into: statistics.sampleSums.pointer)
                guard statisticsFormat.accumulate(statistics.sampleSums.pointer, count: channels, into: statistics.sums.pointer) else {
                    Fatal.fail("step \(state.optimizer.step + 1): the input of layer \(index + 1) (\(layer.name)) is not finite or beyond the range of its exact sums (\(statisticsFormat.limit) per sample and channel); training diverged",
                               communicator: communicator)
                }
            }
            communicator.allreduceSum(statistics.sums.pointer, count: channels)
            for channel in 0..<channels { target[channel] = Float(statisticsFormat.value(statistics.sums[channel]) / values) }
        }
        let parameters = state.parameters.pointer + model.parameterOffsets[index]
        for slot in 0..<slots {
            layer.normalize(workspaces[slot].forwardMemory(layer: index, parameters: parameters),
                            mean: statistics.mean.pointer, variance: statistics.variance.pointer)
        }
        layer.updateMovingStatistics(parameters, mean: statistics.mean.pointer, variance: statistics.variance.pointer)
    }

    /// Batch-norm backward: the global batch's Σdy and Σdy·x̂ per channel (exact sums, one allreduce),
    /// then every sample's input gradient; each sample's gamma and beta gradients go to the sums.
    private func backwardThroughNormalization(_ statistics: BatchStatistics, order: UnsafePointer<Int32>, positions: Range<Int>) {
        let layer = statistics.normalization, index = statistics.layer
        let channels = layer.channels, offset = model.parameterOffsets[index]
        let parameters = UnsafePointer(state.parameters.pointer) + offset
        statistics.sums.fill(with: 0)
        for slot in 0..<positions.count {
            let memory = workspaces[slot].backwardMemory(layer: index, parameters: parameters, parameterGradient: gradient.pointer + offset,
                                                          needsInputGradient: index > model.gradientStart)
            layer.gradientSums(memory, into: statistics.sampleSums.pointer)
            guard gradientFormat.accumulate(statistics.sampleSums.pointer, count: 2 * channels, into: statistics.sums.pointer),
                  gradientFormat.accumulate(gradient.pointer + offset, count: layer.parameterCount, into: sums.pointer + offset) else {
                reportOutOfRange(sample: Int(order[positions.lowerBound + slot]), loss: nil, layers: index..<index + 1)
            }
        }
        communicator.allreduceSum(statistics.sums.pointer, count: 2 * channels)
        gradientFormat.convert(statistics.sums.pointer, count: 2 * channels, to: statistics.sampleSums.pointer)
        let values = configuration.globalBatchSize * layer.inputShape.height * layer.inputShape.width
        for slot in 0..<positions.count {
            let memory = workspaces[slot].backwardMemory(layer: index, parameters: parameters, parameterGradient: gradient.pointer + offset,
                                                          needsInputGradient: index > model.gradientStart)
            layer.inputGradient(memory, variance: statistics.variance.pointer, sums: statistics.sampleSums.pointer, count: values)
            workspaces[slot].advanceGradient()
        }
    }

    /// Adds one sample's loss and whether it was classified correctly to the fixed-point sums.
    private func addLoss(_ loss: Float, correct: Bool, sample: Int) {
        guard let fixedLoss = lossFormat.fixedPoint(loss) else { reportOutOfRange(sample: sample, loss: loss, layers: 0..<0) }
        sums[lossSlot] &+= fixedLoss
        sums[correctSlot] &+= correct ? 1 : 0
    }

    /// Ends the job over a sample whose loss (if given) or gradient in `layers` is not finite or beyond
    /// the fixed-point range. A bad value spreads backwards from where it arose, to every layer below,
    /// so the layer named is the last one (nearest the output) whose gradient is bad.
    private func reportOutOfRange(sample: Int, loss: Float?, layers: Range<Int>) -> Never {
        let batch = Float(configuration.globalBatchSize)
        var problem = loss.map { "the loss is \($0)" } ?? "a gradient is out of range"
        if loss == nil {
            search: for index in layers.reversed() {
                let layer = model.layers[index]
                var offset = model.parameterOffsets[index]
                for block in layer.parameterBlocks {
                    let range = offset..<offset + block.count
                    if let bad = range.first(where: { gradientFormat.fixedPoint(gradient[$0]) == nil }) {
                        problem = "the gradient of layer \(index + 1) (\(layer.name)) \(block.name) is \(gradient[bad] * batch)"
                        break search
                    }
                    offset += block.count
                }
            }
        }
        Fatal.fail("step \(state.optimizer.step + 1), training sample \(sample): \(problem); training diverged"
                   + " (the exact sums take finite gradients below \(gradientFormat.limit * Double(batch)) and losses below \(lossFormat.limit))",
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
            // A middle bit of the mantissa: a flip of the lowest one can be rounded away by the update.
            state.parameters[0] = Float(bitPattern: state.parameters[0].bitPattern ^ (1 << 16))
        }
    }
}

/// One batch-normalisation layer's buffers for the exact cross-sample sums, allocated once.
private struct BatchStatistics {
    let layer: Int
    let normalization: any BatchSynchronizedLayer
    /// The global batch's sums (per channel: one statistic, or Σdy and Σdy·x̂).
    let sums: FixedPointBuffer
    /// One sample's sums in floats; after backward's allreduce, the global Σdy and Σdy·x̂.
    let sampleSums: FloatBuffer
    let mean: FloatBuffer
    let variance: FloatBuffer

    init(model: Sequential, layer: Int) {
        self.layer = layer
        normalization = model.layers[layer] as! any BatchSynchronizedLayer
        let channels = normalization.channels
        sums = FixedPointBuffer(count: 2 * channels)
        sampleSums = FloatBuffer(count: 2 * channels)
        mean = FloatBuffer(count: channels)
        variance = FloatBuffer(count: channels)
    }
}
