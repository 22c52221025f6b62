import TandemCore
import TandemData
import TandemMPI

/// Test-set accuracy and loss, computed exactly, optionally sharded across ranks.
public struct Evaluation: Sendable, Equatable {
    public let correct: Int
    public let seen: Int
    /// Mean cross-entropy over the test set (rank 0 only; NaN elsewhere).
    public let meanLoss: Double
    /// Correct predictions and samples, by true class.
    public let correctByClass: [Int]
    public let seenByClass: [Int]
    public var accuracy: Double { Double(correct) / Double(seen) }
    public var accuracyByClass: [Double] { zip(correctByClass, seenByClass).map { Double($0) / Double(max($1, 1)) } }
}

/// Evaluates the model on the test set with each rank taking one contiguous shard (no padding, no
/// sample counted twice). Per-sample losses are gathered to rank 0 and summed in test-set order,
/// and each sample's forward pass does not depend on which rank runs it, so the result is exactly
/// that of a single-process evaluation, at any rank count.
public final class Evaluator {
    let model: Sequential
    let communicator: Communicator
    /// This rank's shard of the test set.
    public let shard: LabeledImages
    public let totalCount: Int
    private let workspace: ModelWorkspace
    private let losses: FloatBuffer
    private let allLosses: FloatBuffer?

    public init(model: Sequential, shard: LabeledImages, totalCount: Int, communicator: Communicator) {
        self.model = model
        self.shard = shard
        self.totalCount = totalCount
        self.communicator = communicator
        workspace = ModelWorkspace(model: model)
        losses = FloatBuffer(count: shard.count)
        allLosses = communicator.isRoot ? FloatBuffer(count: totalCount) : nil
    }

    /// Collective: every rank calls it with the same parameters.
    public func evaluate(parameters: UnsafePointer<Float>) -> Evaluation {
        model.prepare(parameters: parameters, workspace: workspace)
        let classes = model.classCount
        // [correct by class…, seen by class…], summed across ranks.
        var counts = [Double](repeating: 0, count: 2 * classes)
        for index in 0..<shard.count {
            shard.writeImage(index, to: workspace.input)
            let logits = model.forward(parameters: parameters, workspace: workspace)
            let label = Int(shard.labels[index])
            losses[index] = SoftmaxCrossEntropy.loss(logits: logits, classes: model.classCount, label: label)
            if SoftmaxCrossEntropy.predictedClass(logits: logits, classes: classes) == label { counts[label] += 1 }
            counts[classes + label] += 1
        }
        communicator.allreduceSum(&counts)
        let correctByClass = counts[0..<classes].map { Int($0) }
        let seenByClass = counts[classes...].map { Int($0) }
        let shardCounts = (0..<communicator.size).map { shardRange(totalCount, part: $0, of: communicator.size).count }
        communicator.gather(UnsafeBufferPointer(losses.buffer), counts: shardCounts, into: allLosses?.pointer, root: 0)
        let seen = seenByClass.reduce(0, +)
        if seen != totalCount {
            Fatal.fail("evaluation saw \(seen) test samples, expected \(totalCount)", communicator: communicator)
        }
        var meanLoss = Double.nan
        if let allLosses {
            var sum = 0.0
            for index in 0..<totalCount { sum += Double(allLosses[index]) }
            meanLoss = sum / Double(totalCount)
        }
        return Evaluation(correct: correctByClass.reduce(0, +), seen: seen, meanLoss: meanLoss,
                          correctByClass: correctByClass, seenByClass: seenByClass)
    }
}
