import Foundation
import Testing
import TandemData

/// The data-parallel properties, checked on real ranks under a real `mpirun` with the real binary.
/// Serialized: each test starts several processes on a small machine.
@Suite(.serialized, .enabled(if: IntegrationEnvironment.ready))
struct DistributedTrainingTests {
    /// 3,200 images, global batch 32: 100 steps per epoch.
    static let shortRun = ["train", "--limit", "3200", "--epochs", "2", "--no-evaluate-every-epoch", "--seed", "7"]

    @Test("-np 1, 2 and 4: every rank holds the same parameters after every epoch, and all end with the same sha256")
    func sameWeightsAtAnyPowerOfTwo() throws {
        var digests: [Int: String] = [:]
        for ranks in [1, 2, 4] {
            let outcome = TandemProcess.mpirun(ranks: ranks, Self.shortRun + ["--rank-fingerprints"])
            #expect(outcome.status == 0, "-np \(ranks) failed: \(outcome.standardError)")
            for epoch in 1...2 {
                let fingerprints = outcome.lines.filter { $0.hasPrefix("rank ") && $0.contains(" epoch \(epoch) parameters sha256: ") }
                #expect(fingerprints.count == ranks, "-np \(ranks) epoch \(epoch): \(fingerprints)")
                #expect(Set(fingerprints.map { $0.split(separator: " ").last! }).count == 1,
                        "-np \(ranks): ranks disagree after epoch \(epoch): \(fingerprints)")
            }
            let digest = try #require(outcome.digest)
            digests[ranks] = digest
        }
        #expect(digests[2] == digests[1] && digests[4] == digests[1], "\(digests)")

        // At 4 ranks `tree` sends the gradient by halving then doubling; plain doubling adds in the same order.
        let doubling = TandemProcess.mpirun(ranks: 4, Self.shortRun + ["--allreduce", "tree-doubling"])
        #expect(doubling.status == 0, "\(doubling.standardError)")
        #expect(doubling.digest == digests[1])
    }

    @Test("-np 8 (four samples per rank at global batch 32) ends with the same weights as -np 1")
    func eightRanks() throws {
        let run = ["train", "--limit", "640", "--epochs", "1", "--no-evaluate-every-epoch", "--seed", "3"]
        let single = TandemProcess.mpirun(ranks: 1, run)
        let eight = TandemProcess.mpirun(ranks: 8, run)
        #expect(eight.status == 0, "\(eight.standardError)")
        #expect(try #require(eight.digest) == (try #require(single.digest)))
    }

    @Test("--allreduce mpi trains with every rank in agreement")
    func mpiAllreduce() {
        let outcome = TandemProcess.mpirun(ranks: 2, ["train", "--limit", "1600", "--epochs", "1", "--no-evaluate-every-epoch",
                                                      "--allreduce", "mpi", "--rank-fingerprints"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let fingerprints = outcome.lines.filter { $0.hasPrefix("rank ") }.map { $0.split(separator: " ").last! }
        #expect(fingerprints.count == 2 && Set(fingerprints).count == 1)
    }

    @Test("Training on -np 2, then resuming on -np 4, gives the weights of an uninterrupted -np 1 run")
    func resumeAcrossRankCounts() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let straight = TandemProcess.mpirun(ranks: 1, Self.shortRun)
        let first = TandemProcess.mpirun(ranks: 2, Self.shortRun.map { $0 == "2" ? "1" : $0 } + ["--checkpoint-dir", directory])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["tandem-epoch-001.ckpt"])
        let resumed = TandemProcess.mpirun(ranks: 4, ["train", "--limit", "3200", "--epochs", "2", "--no-evaluate-every-epoch",
                                                      "--resume", directory, "--checkpoint-dir", directory])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.lines.contains { $0.hasPrefix("Epoch 2/2") } && !resumed.lines.contains { $0.hasPrefix("Epoch 1/2") })
        #expect(try #require(resumed.digest) == (try #require(straight.digest)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["tandem-epoch-001.ckpt", "tandem-epoch-002.ckpt"])
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
