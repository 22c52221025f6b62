import TandemCore
import TandemData
import TandemMPI

/// Test-set accuracy and loss, computed exactly, optionally sharded across ranks.
public struct Evaluation: Sendable, Equatable {
    public let correct: Int
    public let seen: Int
    /// Mean cross-entropy over the test set.
    public let meanLoss: Double
    /// Correct predictions and samples, by true class.
    public let correctByClass: [Int]
    public let seenByClass: [Int]
    public var accuracy: Double { Double(correct) / Double(seen) }
    public var accuracyByClass: [Double] { zip(correctByClass, seenByClass).map { Double($0) / Double(max($1, 1)) } }
}

/// Evaluates the model on the test set with each rank taking one contiguous shard (no padding, no
/// sample counted twice). Each sample's forward pass does not depend on which rank runs it, and the
/// per-sample losses and counts are summed exactly (`FixedPointFormat`), so the result is exactly that
/// of a single-process evaluation, at any rank count.
public final class Evaluator {
    let model: Sequential
    let communicator: Communicator
    /// This rank's shard of the test set.
    public let shard: LabeledImages
    public let totalCount: Int
    private let workspace: ModelWorkspace
    /// [correct by class…, seen by class…, summed loss, losses out of range], added up across ranks.
    private let sums: FixedPointBuffer
    private let lossFormat: FixedPointFormat

    public init(model: Sequential, shard: LabeledImages, totalCount: Int, communicator: Communicator) {
        self.model = model
        self.shard = shard
        self.totalCount = totalCount
        self.communicator = communicator
        workspace = ModelWorkspace(model: model)
        sums = FixedPointBuffer(count: 2 * model.classCount + 2)
        lossFormat = .loss(addends: max(totalCount, 1))
    }

    /// Collective: every rank calls it with the same parameters.
    public func evaluate(parameters: UnsafePointer<Float>) -> Evaluation {
        model.prepare(parameters: parameters, workspace: workspace)
        let classes = model.classCount
        let lossSlot = 2 * classes
        sums.fill(with: 0)
        for index in 0..<shard.count {
            shard.writeImage(index, to: workspace.input)
            let logits = model.forward(parameters: parameters, workspace: workspace)
            let label = Int(shard.labels[index])
            let loss = SoftmaxCrossEntropy.loss(logits: logits, classes: model.classCount, label: label)
            // A loss beyond the range (a diverged model) makes the mean loss NaN, not the run fail.
            if let loss = lossFormat.fixedPoint(loss) { sums[lossSlot] += loss } else { sums[lossSlot + 1] += 1 }
            if SoftmaxCrossEntropy.predictedClass(logits: logits, classes: classes) == label { sums[label] += 1 }
            sums[classes + label] += 1
        }
        communicator.allreduceSum(sums.pointer, count: sums.count)
        let correctByClass = (0..<classes).map { Int(sums[$0]) }
        let seenByClass = (0..<classes).map { Int(sums[classes + $0]) }
        let seen = seenByClass.reduce(0, +)
        if seen != totalCount {
            Fatal.fail("evaluation saw \(seen) test samples, expected \(totalCount)", communicator: communicator)
        }
        return Evaluation(correct: correctByClass.reduce(0, +), seen: seen, meanLoss: sums[lossSlot + 1] > 0 ? .nan : lossFormat.value(sums[lossSlot]) / Double(seen),
                          correctByClass: correctByClass, seenByClass: seenByClass)
    }
}

extension LabeledImages {
    /// One line naming the file if these images cannot go through `model` (another size or channel
    /// count). Labels beyond the model's classes are caught where they are read (`DatasetDirectory`).
    public func checkFits(_ model: Sequential) throws {
        let expected = model.inputShape
        guard rows == expected.height, columns == expected.width, channels == expected.channels else {
            throw InputFileError(path: path, problem: "images are \(shapeDescription); the model '\(model.description.name)' expects \(expected.height)x\(expected.width)x\(expected.channels)")
        }
    }
}
