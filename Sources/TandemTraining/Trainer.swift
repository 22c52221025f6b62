import TandemCore
import TandemData
import TandemMPI
#if canImport(Glibc)
import Glibc
#endif

/// One rank's side of data-parallel training.
///
/// Every step: this rank's slice of the global batch → one gradient per sample, summed in a fixed
/// pairwise tree → one allreduce of the flat gradient buffer → the same Adam update on every rank.
/// Because each rank's slice is a subtree of the tree over the whole global batch, and the tree
/// allreduce combines ranks in the same pairwise order, each element of the summed gradient is the
/// same sequence of float additions at any power-of-two rank count: the weights are bit-identical
/// whether the job runs on 1, 2, 4 or 8 ranks.
public final class Trainer {
    public let model: Sequential
    public let communicator: Communicator
    public let configuration: TrainingConfiguration
    public let state: TrainingState
    public let sampler: EpochSampler
    public let training: LabeledImages
    private let workspace: ModelWorkspace
    /// This rank's gradient, then (after the allreduce) the global batch's.
    private let gradient: FloatBuffer
    /// Right-hand partial sums of the pairwise tree, one buffer per level.
    private let partialSums: [FloatBuffer]
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
        gradient = FloatBuffer(count: model.parameterCount)
        var levels = 0
        while (1 << levels) < sampler.rankBatchSize { levels += 1 }
        partialSums = (0..<levels).map { _ in FloatBuffer(count: model.parameterCount) }
        model.prepare(parameters: state.parameters.pointer, workspace: workspace)
    }

    public func resetTimes() { times = PhaseTimes() }

    /// Trains one epoch (counted from 1); returns the global batch's mean loss and accuracy over it.
    /// Collective: every rank calls it with the same epoch.
    public func trainEpoch(_ epoch: Int) -> (loss: Double, accuracy: Double, samples: Int) {
        let order = sampler.order(epoch: epoch)
        var lossSum = 0.0, correct = 0
        order.withUnsafeBufferPointer { order in
            for step in 0..<sampler.stepsPerEpoch {
                let result = self.step(order: order.baseAddress!, step: step)
                lossSum += result.lossSum
                correct += result.correct
            }
        }
        var totals = [lossSum, Double(correct), Double(sampler.stepsPerEpoch * sampler.rankBatchSize)]
        communicator.allreduceSum(&totals)
        return (totals[0] / totals[2], totals[1] / totals[2], Int(totals[2]))
    }

    /// One optimizer step on the samples at positions `sampler.rankSlice(step:)` of `order`.
    /// Returns this rank's summed loss and number of correct predictions.
    public func step(order: UnsafePointer<Int32>, step: Int) -> (lossSum: Double, correct: Int) {
        if let failure = configuration.injectedFailure, failure.rank == communicator.rank,
           failure.step == state.optimizer.step + 1 {
            injectFailure(failure)
        }
        var statistics = (lossSum: 0.0, correct: 0)
        accumulate(order: order, positions: sampler.rankSlice(step: step), into: gradient.pointer, level: 0,
                   statistics: &statistics)

        if configuration.separateWait {
            let waitStart = monotonicSeconds()
            communicator.barrier()
            times.wait += monotonicSeconds() - waitStart
        }
        let reduceStart = monotonicSeconds()
        communicator.allreduceSum(gradient.pointer, count: gradient.count, algorithm: configuration.allreduce)
        let optimizerStart = monotonicSeconds()
        let learningRate = configuration.learningRate(step: state.optimizer.step + 1, stepsPerEpoch: sampler.stepsPerEpoch)
        state.optimizer.update(parameters: state.parameters, gradient: gradient, learningRate: learningRate)
        model.prepare(parameters: state.parameters.pointer, workspace: workspace)
        let end = monotonicSeconds()
        times.allreduce += optimizerStart - reduceStart
        times.optimizer += end - optimizerStart
        times.steps += 1
        return statistics
    }

    /// Sums the gradients of the samples at `positions` into `destination` (overwriting it): the left
    /// half's sum goes to `destination`, the right half's to this level's buffer, then one addition.
    /// Halves are split at `count / 2`, so a rank's slice is always a subtree of the global batch's tree.
    private func accumulate(order: UnsafePointer<Int32>, positions: Range<Int>, into destination: UnsafeMutablePointer<Float>,
                            level: Int, statistics: inout (lossSum: Double, correct: Int)) {
        if positions.count == 1 {
            sampleGradient(Int(order[positions.lowerBound]), into: destination, statistics: &statistics)
            return
        }
        let middle = positions.lowerBound + positions.count / 2
        let right = partialSums[level].pointer
        accumulate(order: order, positions: positions.lowerBound..<middle, into: destination, level: level + 1, statistics: &statistics)
        accumulate(order: order, positions: middle..<positions.upperBound, into: right, level: level + 1, statistics: &statistics)
        let start = monotonicSeconds()
        Elementwise.add(right, into: destination, count: gradient.count)
        times.gradientSum += monotonicSeconds() - start
    }

    /// One sample's forward and backward pass: writes `∂loss/∂parameters / globalBatch` to `destination`.
    private func sampleGradient(_ sample: Int, into destination: UnsafeMutablePointer<Float>,
                                statistics: inout (lossSum: Double, correct: Int)) {
        let start = monotonicSeconds()
        training.writeImage(sample, to: workspace.input)
        let forwardStart = monotonicSeconds()
        let parameters = UnsafePointer(state.parameters.pointer)
        let logits = model.forward(parameters: parameters, workspace: workspace)
        let label = Int(training.labels[sample])
        let correct = SoftmaxCrossEntropy.predictedClass(logits: logits, classes: model.classCount) == label
        let backwardStart = monotonicSeconds()
        let loss = model.backward(label: label, scale: 1 / Float(configuration.globalBatchSize),
                                  parameters: parameters, parameterGradient: destination, workspace: workspace)
        let end = monotonicSeconds()
        times.data += forwardStart - start
        times.forward += backwardStart - forwardStart
        times.backward += end - backwardStart
        statistics.lossSum += Double(loss)
        statistics.correct += correct ? 1 : 0
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
