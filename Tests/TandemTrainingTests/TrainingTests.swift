import Foundation
import Testing
import TandemCore
import TandemData
import TandemMPI
@testable import TandemTraining

/// Training on one process (the multi-rank properties are checked under a real mpirun in
/// TandemIntegrationTests).
struct TrainingTests {
    static let dataset = DatasetDirectory(path: DatasetDirectory.defaultPath)
    static let hasDataset = FileManager.default.fileExists(atPath: DatasetDirectory.defaultPath + "/train-images-idx3-ubyte.gz")

    /// The first 2,000 real training images.
    static func images() throws -> LabeledImages {
        try dataset.load(.train, keeping: { _ in 0..<2000 })
    }

    func makeTrainer(_ images: LabeledImages, seed: UInt64, state: TrainingState? = nil) -> Trainer {
        let model = Sequential.tutorial()
        var configuration = TrainingConfiguration()
        configuration.seed = seed
        return Trainer(model: model, training: images, state: state ?? TrainingState(model: model, seed: seed),
                       configuration: configuration, communicator: SingleProcessCommunicator())
    }

    @Test("Two epochs on 2,000 Fashion-MNIST images: the loss falls and accuracy is far above chance",
          .enabled(if: hasDataset))
    func lossFalls() throws {
        let trainer = makeTrainer(try Self.images(), seed: 1)
        let first = trainer.trainEpoch(1)
        let second = trainer.trainEpoch(2)
        #expect(first.samples == 62 * 32)   // ⌊2000 / 32⌋ steps of 32
        #expect(first.loss.isFinite && second.loss < first.loss, "loss \(first.loss) then \(second.loss)")
        #expect(first.loss < 2.2)           // chance is ln 10 ≈ 2.30
        #expect(second.accuracy > 0.6, "accuracy \(second.accuracy)")
    }

    @Test("The same seed gives bit-identical weights; another seed does not", .enabled(if: hasDataset))
    func rerunIsBitIdentical() throws {
        let images = try Self.images()
        let digests = [1, 1, 2].map { seed -> String in
            let trainer = makeTrainer(images, seed: UInt64(seed))
            _ = trainer.trainEpoch(1)
            return trainer.state.parameterDigest
        }
        #expect(digests[0] == digests[1])
        #expect(digests[0] != digests[2])
    }

    @Test("Stopping after epoch 1, checkpointing and resuming gives the same weights as training straight through",
          .enabled(if: hasDataset))
    func resumeIsBitIdentical() throws {
        let images = try Self.images()
        let straight = makeTrainer(images, seed: 5)
        _ = straight.trainEpoch(1)
        _ = straight.trainEpoch(2)

        let interrupted = makeTrainer(images, seed: 5)
        _ = interrupted.trainEpoch(1)
        interrupted.state.completedEpochs = 1
        let model = Sequential.tutorial()
        var configuration = TrainingConfiguration()
        configuration.seed = 5
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-resume-\(UUID().uuidString).ckpt").path
        try interrupted.state.checkpoint(model: model, configuration: configuration, trainingSamples: images.count).write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let restored = TrainingState(model: model, checkpoint: try Checkpoint.read(from: path))
        let resumed = makeTrainer(images, seed: 5, state: restored)
        _ = resumed.trainEpoch(2)
        #expect(resumed.state.parameterDigest == straight.state.parameterDigest)
        #expect(resumed.state.optimizer.step == straight.state.optimizer.step)
    }

    @Test("Evaluation counts every test image once and its loss is the mean of per-image losses", .enabled(if: hasDataset))
    func evaluation() throws {
        let model = Sequential.tutorial()
        let test = try Self.dataset.load(.test)
        let state = TrainingState(model: model, seed: 3)
        let evaluation = Evaluator(model: model, shard: test, totalCount: test.count, communicator: SingleProcessCommunicator())
            .evaluate(parameters: state.parameters.pointer)
        #expect(evaluation.seen == 10_000)
        #expect(evaluation.seenByClass == Array(repeating: 1000, count: 10))
        #expect(evaluation.correct == evaluation.correctByClass.reduce(0, +))
        #expect(evaluation.meanLoss > 2.0 && evaluation.meanLoss < 2.6)   // untrained: about ln 10
    }
}
