import Foundation
import Testing
import TandemData

/// The data-parallel properties, checked on real ranks under a real `mpirun` with the real binary.
/// Serialized: each test starts several processes on a small machine.
@Suite(.serialized, .enabled(if: IntegrationEnvironment.ready))
struct DistributedTrainingTests {
    /// 3,200 images, global batch 32: 100 steps per epoch.
    static let shortRun = ["train", "--limit", "3200", "--epochs", "2", "--no-evaluate-every-epoch", "--seed", "7"]

    /// One `--rank-fingerprints` run: the final digest, after checking that every rank printed the same one.
    static func agreedDigest(ranks: Int, _ arguments: [String]) throws -> String {
        let outcome = TandemProcess.mpirun(ranks: ranks, arguments + ["--rank-fingerprints"])
        #expect(outcome.status == 0, "-np \(ranks) \(arguments) failed: \(outcome.standardError)")
        let fingerprints = outcome.lines.filter { $0.hasPrefix("rank ") && $0.contains(" parameters sha256: ") }
        #expect(fingerprints.count == ranks && Set(fingerprints.map { $0.split(separator: " ").last! }).count == 1,
                "-np \(ranks): ranks disagree: \(fingerprints)")
        return try #require(outcome.digest)
    }

    @Test("-np 1, 2, 3, 4, 5, 6, 8: the same sha256 at every rank count, for a global batch that divides by N and one that does not, in micro-batches of 1 (the tutorial's default) and 4",
          arguments: [32, 30], [1, 4])
    func sameWeightsAtAnyRankCount(batch: Int, microBatch: Int) throws {
        let run = ["train", "--limit", "480", "--epochs", "1", "--no-evaluate-every-epoch", "--seed", "7", "--batch-size", "\(batch)",
                   "--micro-batch", "\(microBatch)"]
        let single = try Self.agreedDigest(ranks: 1, run)
        for ranks in [2, 3, 4, 5, 6, 8] {
            #expect(try Self.agreedDigest(ranks: ranks, run) == single, "-np \(ranks), global batch \(batch), micro-batch \(microBatch)")
        }
    }

    /// The benchmark models of Launch/models and the built-in ones, each at its default micro-batch.
    static let models: [(name: String, arguments: [String])] = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let colour = repository.appendingPathComponent("Tests/Fixtures/npz/colour-uint8.npz").path
        return [("tutorial", ["--model", "tutorial", "--limit", "480"]),
                ("fashion-strong", ["--model", "fashion-strong", "--limit", "256"]),
                ("fashion-resnet", ["--model", "fashion-resnet", "--limit", "256"]),
                ("MLP", ["--model", repository.appendingPathComponent("Launch/models/mlp.json").path, "--limit", "480"]),
                ("VGG-11-style", ["--model", repository.appendingPathComponent("Launch/models/vgg11.json").path, "--data", colour,
                                  "--limit", "96"])]
    }()

    @Test("Each benchmark model at its default micro-batch: one sha256 at -np 1, 2, 3, at -np 1 --threads 2 and at -np 2 --threads 2",
          arguments: models.map(\.name))
    func threadsAndRanksAgree(model: String) throws {
        let run = ["train", "--epochs", "1", "--no-evaluate-every-epoch", "--seed", "3", "--batch-size", "32"]
            + Self.models.first { $0.name == model }!.arguments
        let single = try Self.agreedDigest(ranks: 1, run)
        for ranks in [2, 3] { #expect(try Self.agreedDigest(ranks: ranks, run) == single, "\(model) -np \(ranks)") }
        for ranks in [1, 2] {
            #expect(try Self.agreedDigest(ranks: ranks, run + ["--threads", "2"]) == single, "\(model) -np \(ranks) --threads 2")
        }
    }

    @Test("More ranks than micro-batches: the extra ranks idle, with one warning naming the rank count that uses them all, and the same weights")
    func idleRanksWarn() throws {
        let run = ["train", "--limit", "480", "--epochs", "1", "--no-evaluate-every-epoch", "--seed", "7", "--micro-batch", "16"]
        let outcome = TandemProcess.mpirun(ranks: 3, run)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let warnings = outcome.errorLines.filter { $0.hasPrefix("tandem: warning: global batch 32 in micro-batches of 16") }
        #expect(warnings.count == 1 && warnings[0].contains("1 of them idle every step; 2 ranks × threads would use them all"),
                "\(outcome.standardError)")
        #expect(try #require(outcome.digest) == (try Self.agreedDigest(ranks: 1, run)))
    }

    @Test("Every allreduce (MPI_Allreduce and Tandem's two schedules) gives the weights of -np 1, at 3 and 6 ranks, in micro-batches of 1 and 4",
          arguments: ["mpi", "tree-doubling", "tree-halving"], ["1", "4"])
    func everyAllreduceAgrees(algorithm: String, microBatch: String) throws {
        let run = ["train", "--limit", "480", "--epochs", "1", "--no-evaluate-every-epoch", "--seed", "7", "--batch-size", "30",
                   "--micro-batch", microBatch]
        let single = try Self.agreedDigest(ranks: 1, run)
        for ranks in [3, 6] {
            #expect(try Self.agreedDigest(ranks: ranks, run + ["--allreduce", algorithm]) == single, "-np \(ranks) \(algorithm)")
        }
    }

    @Test("Two ranks of one micro-batch each send its floats, rounded on receipt: the weights of -np 1 and of the exact sums sent as integers (--allreduce mpi), with uneven micro-batches, an idle rank, batch-norm and frozen layers",
          arguments: [["--batch-size", "30", "--micro-batch", "16", "--limit", "480"],
                      ["--batch-size", "16", "--micro-batch", "16", "--limit", "480"],
                      ["--model", "fashion-strong", "--batch-size", "32", "--micro-batch", "16", "--limit", "256"],
                      ["--model", KerasModelTests.fixtures + "/supported/transfer-cnn.json", "--batch-size", "32", "--micro-batch", "16",
                       "--limit", "256"]])
    func blockGradientsAgree(arguments: [String]) throws {
        let run = ["train", "--epochs", "1", "--no-evaluate-every-epoch", "--seed", "5"] + arguments
        let floats = TandemProcess.mpirun(ranks: 2, run + ["--allreduce", "tree-halving"])   // halving even for transfer-cnn's 1,466 parameters
        #expect(floats.lines.contains { $0.hasPrefix("  allreduce") && $0.contains("sent as floats and rounded on receipt") },
                "\(floats.standardOutput)")
        let single = try Self.agreedDigest(ranks: 1, run)
        #expect(try #require(floats.digest) == single)
        #expect(try Self.agreedDigest(ranks: 2, run + ["--allreduce", "mpi"]) == single)
    }

    @Test("Every allreduce handles messages smaller than the rank count (a rank's share empty)",
          arguments: ["mpi", "tree", "tree-doubling", "tree-halving"])
    func tinyMessages(algorithm: String) {
        let outcome = TandemProcess.mpirun(ranks: 3, ["bench", "allreduce", "--allreduce", algorithm, "--sizes", "1", "2", "5",
                                                      "--repeats", "1"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.lines.filter { $0.hasPrefix("  ") }.count == 4, "\(outcome.standardOutput)")
    }

    @Test("Training on -np 2, then resuming on -np 3, gives the weights of an uninterrupted -np 1 run")
    func resumeAcrossRankCounts() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let straight = TandemProcess.mpirun(ranks: 1, Self.shortRun)
        let first = TandemProcess.mpirun(ranks: 2, Self.shortRun.map { $0 == "2" ? "1" : $0 } + ["--checkpoint-dir", directory])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["tandem-epoch-001.ckpt"])
        let resumed = TandemProcess.mpirun(ranks: 3, ["train", "--limit", "3200", "--epochs", "2", "--no-evaluate-every-epoch",
                                                      "--resume", directory, "--checkpoint-dir", directory])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.lines.contains { $0.hasPrefix("Epoch 2/2") } && !resumed.lines.contains { $0.hasPrefix("Epoch 1/2") })
        #expect(try #require(resumed.digest) == (try #require(straight.digest)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["tandem-epoch-001.ckpt", "tandem-epoch-002.ckpt"])
    }

    @Test("The checkpoint keeps the recipe (SGD with Nesterov momentum, warm-up, cosine decay): resuming with no flags gives the uninterrupted run's weights; a conflicting flag is refused")
    func recipeSurvivesResume() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recipe = ["--optimizer", "sgd", "--momentum", "0.9", "--nesterov", "--learning-rate", "0.02",
                      "--warmup-epochs", "0.5", "--schedule", "cosine"]
        let run = ["train", "--limit", "640", "--epochs", "2", "--no-evaluate-every-epoch", "--seed", "5"]
        let straight = TandemProcess.mpirun(ranks: 2, run + recipe)
        #expect(straight.status == 0, "\(straight.standardError)")
        let first = TandemProcess.mpirun(ranks: 2, run + recipe + ["--checkpoint-dir", directory, "--inject-failure", "0:21:error"])
        #expect(first.status != 0)   // stopped in epoch 2 (20 steps an epoch), after the epoch-1 checkpoint
        let resumed = TandemProcess.mpirun(ranks: 3, run + ["--resume", directory])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(try #require(resumed.digest) == (try #require(straight.digest)))
        let conflicting = TandemProcess.mpirun(ranks: 1, run + ["--resume", directory, "--learning-rate", "0.05"])
        #expect(conflicting.status != 0)
        #expect(conflicting.standardError.contains("--learning-rate 0.05 differs from the checkpoint's 0.02"), "\(conflicting.standardError)")
        let otherBlocks = TandemProcess.mpirun(ranks: 1, run + ["--resume", directory, "--micro-batch", "8"])
        #expect(otherBlocks.status != 0)
        #expect(otherBlocks.standardError.contains("--micro-batch 8 differs from the checkpoint's micro-batch 1"), "\(otherBlocks.standardError)")
    }

    @Test("Evaluation sharded over 2 and 3 ranks equals the single-process evaluation")
    func shardedEvaluation() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let training = TandemProcess.mpirun(ranks: 1, ["train", "--limit", "1600", "--epochs", "1", "--checkpoint-dir", directory])
        #expect(training.status == 0)
        func result(_ ranks: Int) throws -> String {
            let outcome = TandemProcess.mpirun(ranks: ranks, ["evaluate", "--checkpoint", directory])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let line = try #require(outcome.lines.first { $0.hasPrefix("Test loss:") })
            return line.components(separatedBy: " in ")[0]   // drop the timing
        }
        let single = try result(1)
        #expect(single.contains("/10000)"))
        #expect(try result(2) == single)
        #expect(try result(3) == single)
        // And the training run's own final evaluation agrees too.
        #expect(training.lines.contains { $0.hasPrefix(single) })
    }
}
