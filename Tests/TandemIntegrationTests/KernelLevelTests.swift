import Foundation
import Testing
import TandemCore

/// The vector kernels' CPU levels, forced with TANDEM_KERNELS on the real binary: the level changes
/// speed, never the weights, so a job on processors of different kinds agrees.
@Suite(.serialized, .enabled(if: IntegrationEnvironment.ready))
struct KernelLevelTests {
    /// The levels this processor runs (AVX-512 only where it has it).
    static let levels = KernelLevel.allCases.filter(\.isSupported).map(\.rawValue)

    @Test("Each kernel level this CPU runs, forced, trains each benchmark model to one sha256 (-np 2), and says which level runs",
          arguments: DistributedTrainingTests.models.map(\.name))
    func everyLevelGivesTheSameWeights(model: String) throws {
        let run = ["train", "--epochs", "1", "--no-evaluate-every-epoch", "--seed", "3", "--batch-size", "32"]
            + DistributedTrainingTests.models.first { $0.name == model }!.arguments
        var digests: [String: String] = [:]
        for level in Self.levels {
            let outcome = TandemProcess.mpirun(ranks: 2, run, environment: ["TANDEM_KERNELS": level])
            #expect(outcome.status == 0, "\(model) \(level): \(outcome.standardError)")
            #expect(outcome.lines.contains { $0.contains("kernels") && $0.contains("\(level) vector kernels") }, "\(outcome.standardOutput)")
            digests[level] = outcome.digest
        }
        #expect(Set(digests.values).count == 1 && digests.count == Self.levels.count, "\(model): \(digests)")
    }

    @Test("Ranks at different kernel levels in one job (as on a cluster of mixed processors) agree with -np 1")
    func mixedLevelsAgree() throws {
        let run = ["train", "--limit", "480", "--epochs", "1", "--no-evaluate-every-epoch", "--seed", "7"]
        let single = try #require(TandemProcess.mpirun(ranks: 1, run).digest)
        // mpirun's MPMD form: one rank per level, each with its own environment.
        var arguments = ["--mca", "btl", "self,vader", "--oversubscribe"]
        for (index, level) in Self.levels.enumerated() {
            arguments += (index == 0 ? [] : [":"]) + ["-np", "1", "-x", "TANDEM_KERNELS=\(level)", TandemProcess.binary] + run
        }
        let outcome = TandemProcess.run("/usr/bin/mpirun", arguments, timeout: 240)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.digest == single, "\(Self.levels) against -np 1")
    }

    @Test("tandem bench names the kernel level it measured, in its header and its JSON")
    func benchNamesTheLevel() throws {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-level-bench-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: json) }
        let outcome = TandemProcess.mpirun(ranks: 1, ["bench", "--synthetic", "--limit", "320", "--steps", "3", "--warmup", "1",
                                                      "--repeats", "1", "--no-gemm", "--json", json],
                                           environment: ["TANDEM_KERNELS": "portable"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.lines.contains { $0.hasPrefix("Tandem bench: ") && $0.hasSuffix(", portable kernels)") }, "\(outcome.standardOutput)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        #expect(report?["kernels"] as? String == "portable")
    }

    @Test("TANDEM_KERNELS naming no level is refused in one line, before any training", arguments: ["avx9", "AVX2"])
    func unknownLevelIsRefused(name: String) throws {
        let outcome = TandemProcess.mpirun(ranks: 2, ["train", "--limit", "320", "--epochs", "1"], environment: ["TANDEM_KERNELS": name])
        #expect(outcome.status != 0)
        let errors = outcome.errorLines.filter { $0.hasPrefix("tandem:") }
        #expect(errors.count == 1 && errors[0].contains("TANDEM_KERNELS=\(name) is not a kernel level (portable, avx2 or avx512)"),
                "\(outcome.standardError)")
        #expect(!outcome.standardOutput.contains("Epoch 1/1"), "\(outcome.standardOutput)")
    }
}
