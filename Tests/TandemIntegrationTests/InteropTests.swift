import Foundation
import Testing

/// Exports read by the tools that read them (ONNX Runtime, h5py, safetensors: the venv that
/// Launch/install.sh makes in .build-interop), and weights coming back in through --initial-weights.
enum InteropEnvironment {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The venv Launch/install.sh makes (or TANDEM_INTEROP_PYTHON).
    static let python: String? = {
        let path = ProcessInfo.processInfo.environment["TANDEM_INTEROP_PYTHON"] ?? repository.path + "/.build-interop/venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()
}

@Suite(.serialized, .enabled(if: IntegrationEnvironment.ready && InteropEnvironment.python != nil))
struct InteropTests {
    static let repository = InteropEnvironment.repository
    static let python = InteropEnvironment.python
    static let images = repository.path + "/Tests/Fixtures/images/test-first-8.npy"

    @Test("Every export of a trained model is read by its consumer and agrees with Tandem: the tutorial, fashion-strong (batch-norm, augmentation, dropout, global pooling), fashion-resnet (residual stages), a logits model (ONNX gives its logits), every activation, padding and cropping, a model that rescales its own 0-255 input, Reshape and a Softmax layer, a residual graph, one of every merge layer, MobileNet blocks (depthwise, separable, dilated), resizing, upsampling, centre crop and PReLU, activity regularisers, RandomCrop (its inference: a resize of the centred window), RandomErasing (fashion-resnet with it, as Models/fashion_resnet.py --erasing writes it)",
          arguments: [["--model", "tutorial"], ["--model", "fashion-strong", "--epochs", "1"], ["--model", "fashion-resnet", "--epochs", "1"],
                      ["--model", repository.path + "/Tests/Fixtures/keras-models/supported/basic-classification.keras"],
                      ["--model", repository.path + "/Tests/Fixtures/keras-models/supported/activations-cnn.json"],
                      ["--model", repository.path + "/Tests/Fixtures/keras-models/supported/margins-cnn.json"],
                      ["--model", repository.path + "/Tests/Fixtures/keras-models/supported/rescaling-cnn.json"],
                      ["--model", repository.path + "/Tests/Fixtures/keras-models/supported/reshape-softmax.json"],
                      ["--model", repository.path + "/Tests/Fixtures/keras-models/supported/residual-cnn.json"],
                      ["--model", repository.path + "/Tests/Fixtures/keras-models/supported/merge-cnn.json"],
                      ["--model", repository.path + "/Tests/Fixtures/keras-models/supported/mobile-cnn.json"],
                      ["--model", repository.path + "/Tests/Fixtures/keras-models/supported/resize-cnn.json"],
                      ["--model", repository.path + "/Tests/Fixtures/keras-models/supported/activity-cnn.json"],
                      ["--model", repository.path + "/Tests/Fixtures/keras-models/supported/crop-cnn.json"],
                      ["--model", repository.path + "/Launch/results/fashion-resnet-pilot/fashion-resnet-erasing.json"]])
    func exportsReadByTheirConsumers(model: [String]) throws {
        try checkExports(training: model, images: Self.images)
    }

    @Test("The same for colour models: a binary classifier (one sigmoid unit; ONNX gives its probability) and EfficientNetB0 (Normalization, swish, squeeze-and-excitation)",
          arguments: ["binary-cnn", "efficientnetb0"])
    func colourExportsReadByTheirConsumers(model: String) throws {
        let fixtures = Self.repository.path + "/Tests/Fixtures"
        try checkExports(training: ["--model", "\(fixtures)/keras-models/supported/\(model).json", "--data", "\(fixtures)/npz/binary-uint8.npz"],
                         images: fixtures + "/npz/binary-test-first-8.npy")
    }

    /// Trains briefly, exports every format, and runs Tests/Interop/check_exports.py on them and on
    /// `tandem predict` of `images`.
    private func checkExports(training model: [String], images: String) throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let training = TandemProcess.tandem(["train", "--limit", "320", "--epochs", "1", "--verbose", "0", "--checkpoint-dir", directory] + model)
        #expect(training.status == 0, "\(training.standardError)")
        for format in ["onnx", "keras", "weights.h5", "safetensors"] {
            let export = TandemProcess.tandem(["export", "--checkpoint", directory, "--output", "\(directory)/model.\(format)"])
            #expect(export.status == 0, "\(export.standardError)")
        }
        try FileManager.default.copyItem(atPath: images, toPath: directory + "/inputs.npy")
        let predictions = TandemProcess.tandem(["predict", "--checkpoint", directory, "--json", "--top-k", "10", directory + "/inputs.npy"])
        #expect(predictions.status == 0, "\(predictions.standardError)")
        FileManager.default.createFile(atPath: directory + "/predictions.jsonl", contents: Data(predictions.standardOutput.utf8))
        let check = TandemProcess.run(try #require(Self.python), [Self.repository.path + "/Tests/Interop/check_exports.py", directory], timeout: 120)
        #expect(check.status == 0, "\(check.standardOutput)\(check.standardError)")
        #expect(check.lines.filter { $0.hasPrefix("ok ") }.count == 3, "\(check.standardOutput)")
    }

    @Test("--initial-weights: a .keras, a .weights.h5 and a .safetensors of one checkpoint start the same run, bit for bit; another model's weights are refused")
    func initialWeights() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(TandemProcess.tandem(["train", "--limit", "320", "--epochs", "1", "--verbose", "0", "--checkpoint-dir", directory]).status == 0)
        var digests: [String] = []
        for format in ["keras", "weights.h5", "safetensors"] {
            let file = "\(directory)/start.\(format)"
            #expect(TandemProcess.tandem(["export", "--checkpoint", directory, "--output", file]).status == 0)
            let run = TandemProcess.mpirun(ranks: 2, ["train", "--limit", "320", "--epochs", "1", "--seed", "9", "--initial-weights", file])
            #expect(run.status == 0, "\(run.standardError)")
            digests.append(try #require(run.digest))
        }
        #expect(Set(digests).count == 1)
        let fresh = TandemProcess.tandem(["train", "--limit", "320", "--epochs", "1", "--seed", "9"])
        #expect(try #require(fresh.digest) != digests[0])
        let mismatched = TandemProcess.tandem(["train", "--model", "fashion-strong", "--limit", "320", "--epochs", "1",
                                               "--initial-weights", "\(directory)/start.safetensors"])
        #expect(mismatched.status != 0)
        #expect(mismatched.errorLines.count == 1 && mismatched.standardError.contains("start.safetensors"), "\(mismatched.standardError)")
    }
}
