import TandemCore
import TandemData
import TandemMPI

/// Test-set accuracy and loss, computed exactly, optionally sharded across ranks.
package struct Evaluation: Sendable, Equatable {
    /// Mean cross-entropy over the test set.
    package let meanLoss: Double
    /// `confusion[true class][predicted class]`: samples.
    package let confusion: [[Int]]
    /// `trueClassRanks[r]`: samples whose true class came r-th (0: predicted) by the model's scores.
    package let trueClassRanks: [Int]

    package var classCount: Int { confusion.count }
    package var seenByClass: [Int] { confusion.map { $0.reduce(0, +) } }
    package var correctByClass: [Int] { confusion.indices.map { confusion[$0][$0] } }
    package var predictedByClass: [Int] { confusion.indices.map { column in confusion.reduce(0) { $0 + $1[column] } } }
    package var seen: Int { seenByClass.reduce(0, +) }
    package var correct: Int { correctByClass.reduce(0, +) }
    package var accuracy: Double { Double(correct) / Double(seen) }

    /// The share of samples whose true class is among the model's `k` highest scores.
    package func topKAccuracy(_ k: Int) -> Double {
        Double(trueClassRanks.prefix(max(k, 0)).reduce(0, +)) / Double(seen)
    }
}

/// Evaluates the model on the test set in canonical blocks of `blockSize` consecutive samples (the
/// run's micro-batch size), each rank taking a contiguous run of whole blocks (no padding, no sample
/// counted twice) and its threads whole blocks of that. A block's forward pass does not depend on which
/// rank or thread runs it, and each block's summed loss is rounded once and added exactly with the
/// counts (`FixedPointFormat`), so the result is exactly that of a single-process evaluation, at any
/// rank and thread count.
package final class Evaluator {
    let model: Model
    let communicator: Communicator
    let threads: WorkerThreads
    let labelSmoothing: Float
    /// This rank's shard of the test set: whole blocks.
    package let shard: LabeledImages
    package let totalCount: Int
    package let blockSize: Int
    private let workspaces: [ModelWorkspace]
    /// Per thread, then added up: [confusion matrix (classes², row = true class)…, true-class rank
    /// histogram (classes)…, summed loss, losses out of range], then across ranks.
    private let threadSums: [FixedPointBuffer]
    private let lossFormat: FixedPointFormat

    /// The samples of a test set of `count` that rank `rank` of `ranks` evaluates: whole blocks of `blockSize`.
    package static func shard(count: Int, blockSize: Int, rank: Int, of ranks: Int) -> Range<Int> {
        let blocks = shardRange((count + blockSize - 1) / blockSize, part: rank, of: ranks)
        return min(blocks.lowerBound * blockSize, count)..<min(blocks.upperBound * blockSize, count)
    }

    /// - Parameter shard: this rank's images, `Evaluator.shard(count: totalCount, blockSize:…)` of the test set.
    /// - Parameter labelSmoothing: the recipe's, for the loss Keras's `evaluate` reports (the compiled loss).
    /// - Parameter preparedWith: a workspace of the same model and block size whose derived weights
    ///   (`prepare`) to use instead of allocating them again (the trainer's).
    package init(model: Model, shard: LabeledImages, totalCount: Int, blockSize: Int, communicator: Communicator,
                 threads: WorkerThreads, labelSmoothing: Float = 0, preparedWith trainingWorkspace: ModelWorkspace? = nil) {
        precondition(shard.firstIndex % blockSize == 0, "a rank's test shard starts at a block boundary")
        self.model = model
        self.shard = shard
        self.totalCount = totalCount
        self.blockSize = blockSize
        self.communicator = communicator
        self.threads = threads
        self.labelSmoothing = labelSmoothing
        let first = trainingWorkspace.map { ModelWorkspace(model: model, capacity: blockSize, sharing: .prepared($0), use: .inference) }
            ?? ModelWorkspace(model: model, capacity: blockSize, use: .inference)
        workspaces = [first] + (1..<threads.count).map { _ in
            ModelWorkspace(model: model, capacity: blockSize, sharing: .prepared(first), use: .inference)
        }
        threadSums = (0..<threads.count).map { _ in FixedPointBuffer(count: model.classCount * (model.classCount + 1) + 2) }
        lossFormat = .loss(addends: max((totalCount + blockSize - 1) / blockSize, 1))
    }

    /// Collective: every rank calls it with the same parameters.
    package func evaluate(parameters: UnsafePointer<Float>) -> Evaluation {
        model.prepare(parameters: parameters, workspace: workspaces[0])
        let classes = model.classCount
        let rankSlot = classes * classes, lossSlot = rankSlot + classes
        let blocks = (shard.count + blockSize - 1) / blockSize
        threads.run { thread in
            let sums = threadSums[thread], workspace = workspaces[thread]
            sums.fill(with: 0)
            for block in shardRange(blocks, part: thread, of: threads.count) {
                let samples = block * blockSize..<min((block + 1) * blockSize, shard.count)
                for (slot, index) in samples.enumerated() {
                    shard.writeImage(index, to: workspace.input + slot * model.inputShape.count)
                }
                workspace.count = samples.count
                let logits = model.forward(parameters: parameters, workspace: workspace)
                var loss = model.lossTerms(workspace: workspace)   // Keras's evaluate reports them too
                for (slot, index) in samples.enumerated() {
                    let sampleLogits = logits + slot * classes, label = Int(shard.labels[index])
                    loss += SoftmaxCrossEntropy.loss(logits: sampleLogits, classes: classes, label: label, labelSmoothing: labelSmoothing)
                    sums[label * classes + SoftmaxCrossEntropy.predictedClass(logits: sampleLogits, classes: classes)] += 1
                    sums[rankSlot + SoftmaxCrossEntropy.rank(of: label, logits: sampleLogits, classes: classes)] += 1
                }
                // A loss beyond the range (a diverged model) makes the mean loss NaN, not the run fail.
                if let loss = lossFormat.fixedPoint(loss) { sums[lossSlot] += loss } else { sums[lossSlot + 1] += 1 }
            }
        }
        let sums = threadSums[0]
        for other in threadSums.dropFirst() {
            for index in 0..<sums.count { sums[index] &+= other[index] }
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
    package func checkFits(_ model: Model) throws {
        let expected = model.inputShape
        guard rows == expected.height, columns == expected.width, channels == expected.channels else {
            throw InputFileError(path: path, problem: "images are \(shapeDescription); the model '\(model.description.name)' expects \(expected.height)x\(expected.width)x\(expected.channels)")
        }
    }
}
