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

    func makeTrainer(_ images: LabeledImages, seed: UInt64, state: TrainingState? = nil, model: Model = .tutorial(),
                     microBatch: Int? = nil, threads: Int = 1) -> Trainer {
        var configuration = TrainingConfiguration()
        configuration.seed = seed
        configuration.microBatchSize = microBatch
        configuration.threads = threads
        return Trainer(model: model, training: images, state: state ?? TrainingState(model: model, seed: seed),
                       configuration: configuration, communicator: SingleProcessCommunicator(),
                       threads: WorkerThreads(count: threads))
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
        let model = Model.tutorial()
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
        let model = Model.tutorial()
        let test = try Self.dataset.load(.test)
        let state = TrainingState(model: model, seed: 3)
        let evaluation = Evaluator(model: model, shard: test, totalCount: test.count, blockSize: 1, communicator: SingleProcessCommunicator(),
                                   threads: WorkerThreads(count: 1))
            .evaluate(parameters: state.parameters.pointer)
        #expect(evaluation.seen == 10_000)
        #expect(evaluation.seenByClass == Array(repeating: 1000, count: 10))
        #expect(evaluation.correct == evaluation.correctByClass.reduce(0, +))
        #expect(evaluation.meanLoss > 2.0 && evaluation.meanLoss < 2.6)   // untrained: about ln 10
        // In blocks of 7 over three threads: every count the same; the loss within float rounding.
        let blocked = Evaluator(model: model, shard: test, totalCount: test.count, blockSize: 7, communicator: SingleProcessCommunicator(),
                                threads: WorkerThreads(count: 3))
            .evaluate(parameters: state.parameters.pointer)
        #expect(blocked.seen == 10_000 && abs(blocked.meanLoss - evaluation.meanLoss) < 1e-5)
        #expect(blocked.confusion.map { $0.reduce(0, +) } == evaluation.confusion.map { $0.reduce(0, +) })
    }

    @Test("ActivityRegularization's terms are in the evaluation loss, as in Keras's evaluate: it exceeds the same model's without them (l1 = l2 = 0) by their mean over the images",
          .enabled(if: hasDataset))
    func evaluationLossHasActivityTerms() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/keras-models/supported/activity-cnn.json").path
        let json = try String(contentsOfFile: path, encoding: .utf8)
        let model = try Model(description: ModelDescription(json: json, source: path))
        let zeroed = json.replacingOccurrences(of: #""l([12])": [0-9.e-]+"#, with: #""l$1": 0.0"#, options: .regularExpression)
        let unregularized = try Model(description: ModelDescription(json: zeroed, source: path))
        let test = try Self.dataset.load(.test, keeping: { _ in 0..<64 })
        let state = TrainingState(model: model, seed: 3)
        let losses = [model, unregularized].map { model in
            Evaluator(model: model, shard: test, totalCount: test.count, blockSize: 8, communicator: SingleProcessCommunicator(),
                      threads: WorkerThreads(count: 1)).evaluate(parameters: state.parameters.pointer).meanLoss
        }
        let workspace = ModelWorkspace(model: model, capacity: test.count)
        for index in 0..<test.count { test.writeImage(index, to: workspace.input + index * model.inputShape.count) }
        workspace.count = test.count
        model.prepare(parameters: state.parameters.pointer, workspace: workspace)
        model.forward(parameters: state.parameters.pointer, workspace: workspace)
        let meanTerm = Double(model.lossTerms(workspace: workspace)) / Double(test.count)
        #expect(meanTerm > 0.01, "the fixture's terms should matter: \(meanTerm)")
        #expect(abs((losses[0] - losses[1]) - meanTerm) <= 1e-4 * meanTerm, "\(losses[0]) − \(losses[1]) vs \(meanTerm)")
    }

    @Test("Threads take whole micro-batches: 1, 2 and 3 threads give bit-identical weights (m = 4, and a batch-norm model at m = 3)",
          .enabled(if: hasDataset))
    func threadsAgree() throws {
        let images = try Self.images()
        let fashionStrong = try Model(description: .fashionStrong)
        for (model, microBatch) in [(Model.tutorial(), 4), (fashionStrong, 3)] {
            let digests = [1, 2, 3].map { threads -> String in
                let trainer = makeTrainer(images, seed: 2, model: model, microBatch: microBatch, threads: threads)
                for step in 0..<4 { _ = trainer.sampler.order(epoch: 1).withUnsafeBufferPointer { trainer.step(order: $0.baseAddress!, step: step, epoch: 1) } }
                return trainer.state.parameterDigest
            }
            #expect(Set(digests).count == 1, "\(model.description.name): \(digests)")
        }
    }

    @Test("At m = 1 the trainer gives the bits of a per-sample loop written out here: each sample's whole gradient rounded to fixed point and added, the sum converted, Adam",
          .enabled(if: hasDataset))
    func perSampleReference() throws {
        let images = try Self.images()
        let model = Model.tutorial()
        let trainer = makeTrainer(images, seed: 4, microBatch: 1, threads: 2)
        let order = trainer.sampler.order(epoch: 1)
        for step in 0..<3 { _ = order.withUnsafeBufferPointer { trainer.step(order: $0.baseAddress!, step: step, epoch: 1) } }

        let state = TrainingState(model: model, seed: 4)
        let workspace = ModelWorkspace(model: model)
        let gradient = FloatBuffer(count: model.parameterCount), sums = FixedPointBuffer(count: model.parameterCount)
        let format = FixedPointFormat.gradient(addends: 32)
        for step in 0..<3 {
            model.prepare(parameters: state.parameters.pointer, workspace: workspace)
            sums.fill(with: 0)
            for position in step * 32..<(step + 1) * 32 {
                let sample = Int(order[position])
                images.writeImage(sample, to: workspace.input)
                workspace.count = 1
                _ = model.lossAndGradient(labels: { _ in Int(images.labels[sample]) }, scale: 1 / 32, parameters: state.parameters.pointer,
                                          parameterGradient: gradient.pointer, workspace: workspace)
                #expect(format.accumulate(gradient.pointer, count: model.parameterCount, into: sums.pointer))
            }
            format.convert(sums.pointer, count: model.parameterCount, to: gradient.pointer)
            state.optimizer.update(parameters: state.parameters, gradient: gradient.pointer, learningRate: 0.001)
        }
        #expect(trainer.state.parameterDigest == state.parameterDigest)
    }
}
