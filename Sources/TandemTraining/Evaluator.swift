import TandemCore
import TandemData
import TandemMPI

/// Test-set accuracy and loss, computed exactly, optionally sharded across ranks.
public struct Evaluation: Sendable, Equatable {
    /// Mean cross-entropy over the test set.
    public let meanLoss: Double
    /// `confusion[true class][predicted class]`: samples.
    public let confusion: [[Int]]
    /// `trueClassRanks[r]`: samples whose true class came r-th (0: predicted) by the model's scores.
    public let trueClassRanks: [Int]

    public var classCount: Int { confusion.count }
    public var seenByClass: [Int] { confusion.map { $0.reduce(0, +) } }
    public var correctByClass: [Int] { confusion.indices.map { confusion[$0][$0] } }
    public var predictedByClass: [Int] { confusion.indices.map { column in confusion.reduce(0) { $0 + $1[column] } } }
    public var seen: Int { seenByClass.reduce(0, +) }
    public var correct: Int { correctByClass.reduce(0, +) }
    public var accuracy: Double { Double(correct) / Double(seen) }
    public var accuracyByClass: [Double] { zip(correctByClass, seenByClass).map { Double($0) / Double(max($1, 1)) } }

    /// The share of samples whose true class is among the model's `k` highest scores.
    public func topKAccuracy(_ k: Int) -> Double {
        Double(trueClassRanks.prefix(max(k, 0)).reduce(0, +)) / Double(seen)
    }
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
    /// [confusion matrix (classes², row = true class)…, true-class rank histogram (classes)…, summed
    /// loss, losses out of range], added up across ranks.
    private let sums: FixedPointBuffer
    private let lossFormat: FixedPointFormat

    public init(model: Sequential, shard: LabeledImages, totalCount: Int, communicator: Communicator) {
        self.model = model
        self.shard = shard
        self.totalCount = totalCount
        self.communicator = communicator
        workspace = ModelWorkspace(model: model)
        sums = FixedPointBuffer(count: model.classCount * (model.classCount + 1) + 2)
        lossFormat = .loss(addends: max(totalCount, 1))
    }

    /// Collective: every rank calls it with the same parameters.
    public func evaluate(parameters: UnsafePointer<Float>) -> Evaluation {
        model.prepare(parameters: parameters, workspace: workspace)
        let classes = model.classCount
        let rankSlot = classes * classes, lossSlot = rankSlot + classes
        sums.fill(with: 0)
        for index in 0..<shard.count {
            shard.writeImage(index, to: workspace.input)
            let logits = model.forward(parameters: parameters, workspace: workspace)
            let label = Int(shard.labels[index])
            let loss = SoftmaxCrossEntropy.loss(logits: logits, classes: classes, label: label)
            // A loss beyond the range (a diverged model) makes the mean loss NaN, not the run fail.
            if let loss = lossFormat.fixedPoint(loss) { sums[lossSlot] += loss } else { sums[lossSlot + 1] += 1 }
            sums[label * classes + SoftmaxCrossEntropy.predictedClass(logits: logits, classes: classes)] += 1
            sums[rankSlot + SoftmaxCrossEntropy.rank(of: label, logits: logits, classes: classes)] += 1
        }
        communicator.allreduceSum(sums.pointer, count: sums.count)
        let confusion = (0..<classes).map { row in (0..<classes).map { Int(sums[row * classes + $0]) } }
        let evaluation = Evaluation(meanLoss: sums[lossSlot + 1] > 0 ? .nan : lossFormat.value(sums[lossSlot]) / Double(totalCount),
                                    confusion: confusion, trueClassRanks: (0..<classes).map { Int(sums[rankSlot + $0]) })
        if evaluation.seen != totalCount {
            Fatal.fail("evaluation saw \(evaluation.seen) test samples, expected \(totalCount)", communicator: communicator)
        }
        return evaluation
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
