import Foundation
import Tandem
import Testing

/// The library as a Swift user calls it (`import Tandem` only): a job trains and writes checkpoints;
/// the checkpoint evaluates to the job's last evaluation, predicts, exports; bad settings are thrown.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")))
struct LibraryTests {
    static let testImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"

    @Test("Train, then evaluate, predict and export the checkpoint: the same evaluation, the same digest, Fashion-MNIST's class names")
    func trainEvaluatePredictExport() throws {
        let directory = NSTemporaryDirectory() + "tandem-library-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var job = TrainingJob()
        job.epochs = 1
        job.limit = 640
        job.checkpointDirectory = directory
        let epochs = Epochs()
        let result = try job.run { epochs.append($0) }
        #expect(epochs.all.map(\.epoch) == [1])
        let evaluation = try #require(result.evaluation)
        #expect(evaluation.count == 10_000)

        let trained = try TrainedModel(checkpoint: directory)
        #expect(trained.epochs == 1 && trained.parameterDigest == result.parameterDigest)
        let again = try trained.evaluate()
        #expect(again.loss == evaluation.loss && again.correct == evaluation.correct)
        let predictions = try trained.predict([Self.testImages])
        #expect(predictions.count == 10_000 && predictions[0].input.hasSuffix("[0]"))
        #expect(predictions.allSatisfy { $0.ranked.count == 10 && abs($0.ranked.map(\.probability).reduce(0, +) - 1) < 1e-4 })
        #expect(Set(predictions[0].ranked.map(\.name)) == Set(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]))
        let onnx = directory + "/model.onnx"
        try trained.export(to: onnx)
        #expect(((try FileManager.default.attributesOfItem(atPath: onnx))[.size] as? Int ?? 0) > 100_000)
    }

    @Test("Problems are thrown in one line, nothing exits: an unknown model, too few images, an unknown optimiser, a missing checkpoint, an export to an unknown format")
    func problemsAreThrown() throws {
        func problem(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch { return "\(error)" }
        }
        var job = TrainingJob()
        job.model = "no-such-model"
        #expect(problem { _ = try job.run() }?.contains("no-such-model: no such file, and not a built-in model") == true)
        job = TrainingJob()
        job.limit = 10
        #expect(problem { _ = try job.run() } == "10 training images are fewer than one global batch of 32")
        job = TrainingJob()
        job.optimizer = "adagrad"
        #expect(problem { _ = try job.run() }?.hasPrefix("optimizer 'adagrad': expected one of adam") == true)
        #expect(problem { _ = try TrainedModel(checkpoint: "/nonexistent/run") }?.contains("/nonexistent/run") == true)
    }
}

/// The epochs a job reported, gathered from its callback.
final class Epochs: @unchecked Sendable {   // appended to by one thread at a time (the job's)
    private(set) var all: [EpochSummary] = []
    func append(_ epoch: EpochSummary) { all.append(epoch) }
}
