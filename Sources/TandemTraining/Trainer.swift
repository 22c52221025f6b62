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
    /// One sample's gradient; after the allreduce, the global batch's, followed by its summed loss and
    /// number of correct predictions.
    private let gradient: FloatBuffer
    /// The fixed-point sums the ranks add up: the gradient, then the loss, then the correct count.
    private let sums: FixedPointBuffer
    private let gradientFormat: FixedPointFormat
    private let lossFormat: FixedPointFormat
    private var lossSlot: Int { model.parameterCount }
    private var correctSlot: Int { model.parameterCount + 1 }
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
        workspace = ModelWorkspace(model: model)
        gradient = FloatBuffer(count: model.parameterCount + 2)
        sums = FixedPointBuffer(count: model.parameterCount + 2)
        gradientFormat = .gradient(globalBatchSize: configuration.globalBatchSize)
        lossFormat = .loss(addends: configuration.globalBatchSize)
        model.prepare(parameters: state.parameters.pointer, workspace: workspace)
    }

    public func resetTimes() { times = PhaseTimes() }

    /// Trains one epoch (counted from 1); returns the global batch's mean loss and accuracy over it,
    /// the same bits on every rank and at every rank count. Collective: every rank calls it with the same epoch.
    public func trainEpoch(_ epoch: Int) -> (loss: Double, accuracy: Double, samples: Int) {
        let order = sampler.order(epoch: epoch)
        var lossSum = 0.0, correct = 0
        order.withUnsafeBufferPointer { order in
            for step in 0..<sampler.stepsPerEpoch {
                let result = self.step(order: order.baseAddress!, step: step, epoch: epoch)
                lossSum += result.lossSum
                correct += result.correct
            }
        }
        let samples = sampler.stepsPerEpoch * sampler.globalBatchSize
        return (lossSum / Double(samples), Double(correct) / Double(samples), samples)
    }

    /// One optimizer step on the samples at positions `sampler.rankSlice(step:)` of `order`, epoch
    /// `epoch`'s. Returns the global batch's summed loss and number of correct predictions, the same on
    /// every rank.
    @discardableResult
    public func step(order: UnsafePointer<Int32>, step: Int, epoch: Int) -> (lossSum: Double, correct: Int) {
        if let failure = configuration.injectedFailure, failure.rank == communicator.rank,
           failure.step == state.optimizer.step + 1 {
            injectFailure(failure)
        }
        sums.fill(with: 0)
        for position in sampler.rankSlice(step: step) {
            addSampleGradient(Int(order[position]), epoch: epoch)
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
        return (Double(gradient[lossSlot]), Int(gradient[correctSlot]))
    }

    /// The exact global sums of elements `range` (at `partial[0..<range.count]`) into `gradient[range]`:
    /// the gradient, the loss (rounded once to a float) and the correct count (exact below 2^24).
    private func convertSums(_ partial: UnsafePointer<Int64>, _ range: Range<Int>) {
        let gradientPart = range.clamped(to: 0..<model.parameterCount)
        gradientFormat.convert(partial, count: gradientPart.count, to: gradient.pointer + range.lowerBound)
        if range.contains(lossSlot) { gradient[lossSlot] = Float(lossFormat.value(partial[lossSlot - range.lowerBound])) }
        if range.contains(correctSlot) { gradient[correctSlot] = Float(partial[correctSlot - range.lowerBound]) }
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
        guard gradientFormat.accumulate(gradient.pointer, count: model.parameterCount, into: sums.pointer),
              let fixedLoss = lossFormat.fixedPoint(loss) else {
            reportOutOfRange(sample: sample, loss: loss)
        }
        sums[lossSlot] &+= fixedLoss
        sums[correctSlot] &+= correct ? 1 : 0
        let end = monotonicSeconds()
        times.data += forwardStart - start
        times.forward += backwardStart - forwardStart
        times.backward += sumStart - backwardStart
        times.gradientSum += end - sumStart
    }

    /// Ends the job over a sample whose loss or gradient is not finite or beyond the fixed-point range.
    /// A bad value spreads backwards from where it arose, to every layer below, so the layer named is
    /// the last one (nearest the output) whose gradient is bad.
    private func reportOutOfRange(sample: Int, loss: Float) -> Never {
        let batch = Float(configuration.globalBatchSize)
        var problem = "the loss is \(loss)"
        if lossFormat.fixedPoint(loss) != nil {
            search: for (index, layer) in model.layers.enumerated().reversed() {
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
        }
    }
}
