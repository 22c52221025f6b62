import Foundation
import Testing

/// `tandem train --model F.json` with descriptions real Keras wrote (Tests/Fixtures/keras-models),
/// under a real `mpirun`.
@Suite(.serialized, .enabled(if: IntegrationEnvironment.ready))
struct KerasModelTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/keras-models").path

    @Test("Every supported Keras model for 28×28×1 images trains under mpirun, and its checkpoint evaluates without --model",
          arguments: ["tutorial", "small-cnn", "options", "dropout-cnn", "batchnorm-cnn", "normalization-cnn", "activations-cnn",
                     "functional-chain", "initializers-cnn", "margins-cnn", "reshape-softmax"])
    func trainsAndEvaluates(name: String) throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let training = TandemProcess.mpirun(ranks: 2, ["train", "--model", "\(Self.fixtures)/supported/\(name).json",
                                                        "--limit", "320", "--epochs", "1", "--checkpoint-dir", directory])
        #expect(training.status == 0, "\(training.standardError)")
        let final = try #require(training.lines.first { $0.hasPrefix("Test loss:") })
        let evaluation = TandemProcess.mpirun(ranks: 1, ["evaluate", "--checkpoint", directory])
        #expect(evaluation.status == 0, "\(evaluation.standardError)")
        let evaluated = try #require(evaluation.lines.first { $0.hasPrefix("Test loss:") })
        #expect(evaluated.hasPrefix(final), "\(evaluated) vs \(final)")
        #expect(evaluation.digest == training.digest)
    }

    @Test("TensorFlow's basic-classification .keras (Dense(10) logits, compiled from_logits=True) trains with no warning, one sha256 at -np 1, 2, 3; predict gives probabilities; the from_logits=False twin warns once")
    func logitsModel() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = ["train", "--model", "\(Self.fixtures)/supported/basic-classification.keras", "--limit", "320", "--epochs", "1",
                   "--no-evaluate-every-epoch", "--seed", "2"]
        var digests: [String] = []
        for ranks in [1, 2, 3] {
            let outcome = TandemProcess.mpirun(ranks: ranks, run + (ranks == 2 ? ["--checkpoint-dir", directory] : []))
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(!outcome.standardError.contains("compiled"), "\(outcome.standardError)")
            #expect(outcome.lines.contains { $0.contains("loss") && $0.contains("logits (predict and evaluate apply the softmax)") })
            digests.append(try #require(outcome.digest))
        }
        #expect(Set(digests).count == 1, "\(digests)")
        let images = Self.fixtures + "/../images/test-first-8.npy"
        let prediction = TandemProcess.tandem(["predict", "--checkpoint", directory, "--json", "--top-k", "10", images])
        #expect(prediction.status == 0, "\(prediction.standardError)")
        for line in prediction.lines {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let probabilities = try #require(record["top_k"] as? [[String: Any]]).compactMap { $0["probability"] as? Double }
            #expect(probabilities.count == 10 && probabilities.allSatisfy { (0...1).contains($0) })
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-5, "\(line)")
        }
        let mismatch = TandemProcess.mpirun(ranks: 2, ["train", "--model", "\(Self.fixtures)/supported/logits-mismatch.json",
                                                       "--limit", "64", "--epochs", "1", "--verbose", "0"])
        #expect(mismatch.status == 0, "\(mismatch.standardError)")
        #expect(mismatch.errorLines.filter { $0.contains("warning") } == ["tandem: warning: the model was compiled with from_logits=False, but its last layer (dense) has no softmax: Tandem trains its outputs as logits, as from_logits=True would"],
                "\(mismatch.standardError)")
    }

    @Test("A compiled model's compile_config is a new run's recipe (RMSprop with momentum, label smoothing): said at start-up, one sha256 at -np 1 and 2, the same bits through a resume; a flag overrides it; an optimizer Tandem cannot follow is one line")
    func compiledRecipe() throws {
        let model = "\(Self.fixtures)/compiled/rmsprop-smoothing.json"
        let run = ["train", "--model", model, "--limit", "320", "--no-evaluate-every-epoch", "--seed", "4"]
        let straight = [1, 2].map { TandemProcess.mpirun(ranks: $0, run + ["--epochs", "2"]) }
        for outcome in straight {
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.lines.contains { $0.contains("recipe from") && $0.contains("the model's compile_config (optimizer rmsprop, learning rate 0.0005, label smoothing 0.1)") })
            #expect(outcome.lines.contains { $0.contains("rmsprop (rho 0.8, momentum 0.5, epsilon 1e-07)") })
        }
        #expect(straight[0].digest != nil && straight[0].digest == straight[1].digest)
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(TandemProcess.mpirun(ranks: 2, run + ["--epochs", "1", "--checkpoint-dir", directory]).status == 0)
        let resumed = TandemProcess.mpirun(ranks: 1, run + ["--epochs", "2", "--checkpoint-dir", directory, "--resume", "auto"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.digest == straight[0].digest)
        let overridden = TandemProcess.mpirun(ranks: 2, run + ["--epochs", "1", "--label-smoothing", "0"])
        #expect(overridden.lines.contains { $0.contains("recipe from") && $0.contains("; then --label-smoothing") })
        #expect(!overridden.lines.contains { $0.contains("label smoothing 0") && $0.hasPrefix("  loss") })
        let refused = TandemProcess.mpirun(ranks: 2, ["train", "--model", "\(Self.fixtures)/compiled/clipnorm.json", "--limit", "64"])
        #expect(refused.status == 64)
        #expect(refused.errorLines.filter { $0.hasPrefix("tandem:") } == ["tandem: error: \(Self.fixtures)/compiled/clipnorm.json: compile_config: the optimizer's clipnorm 1 (gradient clipping) is not supported; pass --optimizer to train with Tandem's instead"], "\(refused.standardError)")
        #expect(TandemProcess.mpirun(ranks: 1, ["train", "--model", "\(Self.fixtures)/compiled/clipnorm.json", "--limit", "64", "--epochs", "1",
                                                "--optimizer", "adam"]).status == 0)
    }

    @Test("Binary classifiers (Dense(1, sigmoid), and keras.io's from-scratch network with one logit and its compile settings): one sha256 at -np 1, 2 and 3; the start-up report says binary cross-entropy; predict gives the two classes' probabilities")
    func binaryClassifiers() throws {
        let data = Self.fixtures + "/../npz/binary-uint8.npz"
        for (name, ranks) in [("binary-cnn", [1, 2, 3]), ("from-scratch-binary", [1, 2])] {
            let directory = TandemProcess.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let run = ["train", "--model", "\(Self.fixtures)/supported/\(name).json", "--data", data, "--limit", "64", "--epochs", "1",
                       "--no-evaluate-every-epoch", "--seed", "5"]
            let outcomes = ranks.map { TandemProcess.mpirun(ranks: $0, run + ($0 == 2 ? ["--checkpoint-dir", directory] : [])) }
            for outcome in outcomes {
                #expect(outcome.status == 0, "\(name): \(outcome.standardError)")
                #expect(outcome.lines.contains { $0.hasPrefix("  loss") && $0.contains("binary cross-entropy") })
            }
            #expect(Set(outcomes.map(\.digest)).count == 1 && outcomes[0].digest != nil, "\(name)")
            let prediction = TandemProcess.tandem(["predict", "--checkpoint", directory, "--json",
                                                   Self.fixtures + "/../npz/binary-test-first-8.npy"])
            #expect(prediction.status == 0, "\(prediction.standardError)")
            #expect(prediction.lines.count == 8)
            for line in prediction.lines {
                let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let probabilities = try #require(record["top_k"] as? [[String: Any]]).compactMap { $0["probability"] as? Double }
                #expect(probabilities.count == 2 && abs(probabilities.reduce(0, +) - 1) < 1e-6, "\(line)")
            }
        }
    }

    @Test("Functional graphs (a residual network with batch-norm; one of every merge layer; MobileNet blocks; resizing, PReLU, upsampling, centre crop and Gaussian noise; activity regularisers; RandomCrop) give one sha256 at -np 1, 2 and 3 and with 2 threads; keras.applications' VGG16 (a Functional chain, 33.6 M parameters), ResNet50, DenseNet121 and MobileNetV2, the Keras CIFAR-10 ResNet-20 v1 (L2 regularisers) keras.io's from-scratch network (nested augmentation with RandomRotation, separable convolutions) and EfficientNetB0 (Normalization, swish on convolutions, drop-connect) at 32×32×3 one sha256 at -np 1 and 2")
    func graphModels() throws {
        for name in ["residual-cnn", "merge-cnn", "mobile-cnn", "transfer-cnn", "resize-cnn", "activity-cnn", "crop-cnn"] {
            let run = ["train", "--model", "\(Self.fixtures)/supported/\(name).json", "--limit", "320", "--epochs", "1",
                       "--micro-batch", "4", "--no-evaluate-every-epoch"]
            let digests = try [(1, 1), (2, 1), (3, 1), (1, 2)].map { ranks, threads in
                let outcome = TandemProcess.mpirun(ranks: ranks, run + ["--threads", "\(threads)"])
                #expect(outcome.status == 0, "\(name): \(outcome.standardError)")
                return try #require(outcome.digest)
            }
            #expect(Set(digests).count == 1, "\(name): \(digests)")
        }
        let data = Self.fixtures + "/../npz/colour-uint8.npz"
        for name in ["vgg16", "resnet50", "densenet121", "mobilenetv2", "resnet20-v1", "from-scratch", "efficientnetb0"] {
            let run = ["train", "--model", "\(Self.fixtures)/supported/\(name).json", "--data", data, "--limit", "64", "--epochs", "1",
                       "--no-evaluate-every-epoch", "--seed", "5"]
            let digests = try [1, 2].map { ranks in
                let outcome = TandemProcess.mpirun(ranks: ranks, run)
                #expect(outcome.status == 0, "\(name): \(outcome.standardError)")
                return try #require(outcome.digest)
            }
            #expect(digests[0] == digests[1], "\(name)")
        }
    }

    @Test("Transfer learning: a nested augmentation block and a frozen base called with training=False under a new head; the base's weights (batch-norm's moving statistics included) stay as they were, bit for bit, while the head trains")
    func frozenBaseModel() throws {
        func tensors(epochs: Int) throws -> [String: Data] {
            let directory = TandemProcess.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let training = TandemProcess.mpirun(ranks: 2, ["train", "--model", "\(Self.fixtures)/supported/transfer-cnn.json",
                                                            "--limit", "640", "--epochs", "\(epochs)", "--checkpoint-dir", directory])
            #expect(training.status == 0, "\(training.standardError)")
            let file = directory + "/weights.safetensors"
            #expect(TandemProcess.tandem(["export", "--checkpoint", directory, "--output", file]).status == 0)
            return try safetensors(file)
        }
        let once = try tensors(epochs: 1), twice = try tensors(epochs: 2)
        let base = once.keys.filter { $0.hasPrefix("base_") }
        #expect(base.count == 10)
        for name in base { #expect(once[name] == twice[name], "\(name) moved") }
        #expect(once["logits/kernel"] != twice["logits/kernel"])
    }

    /// A safetensors file's tensors as bytes, by name.
    private func safetensors(_ path: String) throws -> [String: Data] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<8 + headerLength)) as? [String: Any])
        var tensors: [String: Data] = [:]
        for (name, entry) in header where name != "__metadata__" {
            let offsets = try #require((entry as? [String: Any])?["data_offsets"] as? [Int])
            tensors[name] = data.subdata(in: 8 + headerLength + offsets[0]..<8 + headerLength + offsets[1])
        }
        return tensors
    }

    @Test("A model that starts with Rescaling(1/255) is fed bytes as they are (0-255), says so, and trains to the weights of the same model without it fed x / 255, bit for bit")
    func rescalingModelTakesRawPixels() throws {
        let run = ["train", "--limit", "320", "--epochs", "1", "--no-evaluate-every-epoch", "--seed", "6"]
        let rescaling = TandemProcess.mpirun(ranks: 2, run + ["--model", "\(Self.fixtures)/supported/rescaling-cnn.json"])
        #expect(rescaling.status == 0, "\(rescaling.standardError)")
        #expect(rescaling.lines.contains { $0.contains("input") && $0.contains("uint8 as it is, 0–255 (the model's rescaling rescales it)") },
                "\(rescaling.standardOutput)")
        let plain = TandemProcess.mpirun(ranks: 2, run + ["--model", "\(Self.fixtures)/supported/small-cnn.json"])
        #expect(plain.lines.contains { $0.contains("input") && $0.contains("uint8 scaled by 1/255") }, "\(plain.standardOutput)")
        #expect(try #require(rescaling.digest) == (try #require(plain.digest)))
    }

    @Test("Batch-norm over the global batch and Dropout drawn per sample: the same weights at -np 1, 2, 3 and 4",
          arguments: [30, 32])
    func batchNormalizationAndDropoutAreRankIndependent(batch: Int) throws {
        let run = ["train", "--model", "\(Self.fixtures)/supported/batchnorm-cnn.json", "--limit", "320", "--epochs", "2",
                   "--batch-size", "\(batch)", "--no-evaluate-every-epoch", "--seed", "4"]
        let digests = try [1, 2, 3, 4].map { ranks in
            let outcome = TandemProcess.mpirun(ranks: ranks, run)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            return try #require(outcome.digest)
        }
        #expect(Set(digests).count == 1, "\(digests)")
    }

    @Test("Colour images from a .npz (CIFAR-10's layout) train a 32×32×3 Keras model: the same weights at -np 1, 2 and 3")
    func colourNumpyData() throws {
        let data = URL(fileURLWithPath: Self.fixtures).deletingLastPathComponent().appendingPathComponent("npz/colour-uint8.npz").path
        let run = ["train", "--model", "\(Self.fixtures)/supported/cifar-cnn.json", "--data", data, "--epochs", "2",
                   "--batch-size", "30", "--no-evaluate-every-epoch"]
        let digests = try [1, 2, 3].map { ranks in
            let outcome = TandemProcess.mpirun(ranks: ranks, run)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.lines.contains { $0.contains("(640 train, 200 test)") }, "\(outcome.standardOutput)")
            return try #require(outcome.digest)
        }
        #expect(Set(digests).count == 1, "\(digests)")
        let mismatched = TandemProcess.mpirun(ranks: 2, ["train", "--data", data], timeout: 60)
        #expect(mismatched.status != 0 && mismatched.standardError.contains("images are 32x32x3; the model 'tutorial' expects 28x28x1"),
                "\(mismatched.standardError)")
    }

    @Test("Unsupported models and mismatched data are refused in one line, on every rank, without a hang")
    func refusals() {
        let refused = TandemProcess.mpirun(ranks: 2, ["train", "--model", "\(Self.fixtures)/unsupported/dilation-strides.json"], timeout: 60)
        #expect(refused.status != 0 && !refused.timedOut)
        let lines = refused.errorLines.filter { $0.hasPrefix("tandem:") }
        #expect(lines.count == 1 && lines[0].hasSuffix(": conv2d_3: dilation_rate 2x2 with strides 2x2: Keras allows one of them above 1, not both"), "\(refused.standardError)")
        let mismatched = TandemProcess.mpirun(ranks: 2, ["train", "--model", "\(Self.fixtures)/supported/cifar-cnn.json",
                                                         "--limit", "320"], timeout: 60)
        #expect(mismatched.status != 0 && !mismatched.timedOut)
        #expect(mismatched.standardError.contains("images are 28x28x1; the model 'cifar_cnn' expects 32x32x3"), "\(mismatched.standardError)")
        let classes = TandemProcess.mpirun(ranks: 1, ["train", "--model", "\(Self.fixtures)/supported/global-max.json"], timeout: 60)
        #expect(classes.status != 0)
        #expect(classes.standardError.contains("expects 16x16x2") || classes.standardError.contains("out of range 0..<3"),
                "\(classes.standardError)")
        let missing = TandemProcess.tandem(["summary", "--model", "no-such-model"], timeout: 60)
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("no-such-model: no such file, and not a built-in model (fashion-resnet, fashion-strong, tutorial)"), "\(missing.standardError)")
    }
}
