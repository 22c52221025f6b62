import Foundation
import Testing

/// What a cluster does to a run, done to real ranks under a real `mpirun`: a stop inside an epoch and
/// a resume from a step checkpoint, a preemption signal, a damaged newest checkpoint, rotation.
@Suite(.serialized, .enabled(if: IntegrationEnvironment.ready))
struct ReliabilityTests {
    /// 640 images, global batch 32: 20 steps per epoch; no evaluation but the last.
    static let run = ["train", "--limit", "640", "--epochs", "3", "--no-evaluate-every-epoch", "--seed", "11", "--verbose", "2"]

    static func checkpoints(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".ckpt") }.sorted()
    }

    @Test("A run stopped inside an epoch resumes from its step checkpoint (--resume auto, at 3 ranks) to the uninterrupted run's weights, bit for bit; --keep keeps the newest")
    func resumeInsideAnEpoch() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let straight = TandemProcess.mpirun(ranks: 1, Self.run)
        // Checkpoints at steps 7 and 14 (epoch 1), the epoch's (20), 21 and 28 (epoch 2, steps 1 and 8); the run dies at step 30.
        let first = TandemProcess.mpirun(ranks: 2, Self.run + ["--checkpoint-dir", directory, "--checkpoint-every", "7", "--keep", "3",
                                                               "--inject-failure", "1:30:exit"])
        #expect(first.status != 0)
        #expect(try Self.checkpoints(directory) == ["tandem-epoch-001-step-000001.ckpt", "tandem-epoch-001-step-000008.ckpt", "tandem-epoch-001.ckpt"])
        let resumed = TandemProcess.mpirun(ranks: 3, Self.run + ["--checkpoint-dir", directory, "--resume", "auto"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.lines.contains { $0.contains("resuming in epoch 2 after step 8 from") && $0.contains("tandem-epoch-001-step-000008.ckpt") },
                "\(resumed.standardOutput)")
        #expect(try #require(resumed.digest) == (try #require(straight.digest)))
        // Once more, as a requeued job would: the run is complete, nothing to do, the same weights.
        let again = TandemProcess.mpirun(ranks: 2, Self.run + ["--checkpoint-dir", directory, "--resume", "auto"])
        #expect(again.status == 0 && again.lines.contains { $0.contains("the run is complete (3 epochs); nothing to do") }, "\(again.standardOutput)")
        #expect(again.digest == straight.digest)
    }

    @Test("SIGUSR1 to mpirun (Slurm's warning before a time limit): every rank stops at a step boundary, rank 0 checkpoints, exit status 75; --resume auto finishes with the uninterrupted run's weights")
    func preemptionSignal() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = ["train", "--limit", "6400", "--epochs", "2", "--no-evaluate-every-epoch", "--seed", "12", "--verbose", "2"]
        let straight = TandemProcess.mpirun(ranks: 2, run)
        // mpirun is started as from a shell, with no signal blocked: the test runner's threads block
        // signals, and a child inherits its parent's mask (mpirun would never see SIGUSR1).
        let unblocking = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])"
        let arguments = ["-c", unblocking, "/usr/bin/mpirun"] + TandemProcess.mpirunOptions(ranks: 2) + [TandemProcess.binary] + run
            + ["--checkpoint-dir", directory]
        let stopped = TandemProcess.run("/usr/bin/python3", arguments, timeout: 120) { process in
            // Signal once the first epoch's checkpoint exists: inside the second epoch.
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, !FileManager.default.fileExists(atPath: directory + "/tandem-epoch-001.ckpt") { usleep(20_000) }
            usleep(300_000)
            kill(process.processIdentifier, SIGUSR1)
        }
        #expect(stopped.status == 75, "\(stopped.standardOutput)\(stopped.standardError)")
        #expect(stopped.lines.contains { $0.hasPrefix("Stopped by SIGUSR1 after step ") }, "\(stopped.standardOutput)")
        let written = try Self.checkpoints(directory)
        #expect(written.count == 2 && written.contains { $0.hasPrefix("tandem-epoch-001-step-") }, "\(written)")
        let resumed = TandemProcess.mpirun(ranks: 2, run + ["--checkpoint-dir", directory, "--resume", "auto"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(try #require(resumed.digest) == (try #require(straight.digest)))
    }

    @Test("--resume auto passes over a damaged newest checkpoint (one warning naming it), uses the one before; with no checkpoint at all it starts afresh")
    func damagedNewestCheckpoint() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let straight = TandemProcess.mpirun(ranks: 2, Self.run)
        let fresh = TandemProcess.mpirun(ranks: 2, Self.run + ["--epochs", "2", "--checkpoint-dir", directory, "--resume", "auto"])
        #expect(fresh.status == 0, "\(fresh.standardError)")
        #expect(!fresh.standardOutput.contains("resuming"))
        // Damage the newest (epoch 2): one flipped byte in its parameters.
        let newest = directory + "/tandem-epoch-002.ckpt"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: newest)))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: newest))
        let resumed = TandemProcess.mpirun(ranks: 2, Self.run + ["--checkpoint-dir", directory, "--resume", "auto"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let warnings = resumed.errorLines.filter { $0.contains("tandem-epoch-002.ckpt") }
        #expect(warnings.count == 1 && warnings[0].contains("skipped"), "\(resumed.standardError)")
        #expect(resumed.lines.contains { $0.contains("resuming after epoch 1") }, "\(resumed.standardOutput)")
        #expect(try #require(resumed.digest) == (try #require(straight.digest)))
    }

    @Test("A full disk (a real 1 MiB tmpfs) during a checkpoint: one line naming the file and the reason, the previous checkpoint intact, nothing half-written; --checkpoint-failure warn goes on",
          .enabled(if: getuid() == 0))
    func fullDisk() throws {
        let mountPoint = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        let mounted = TandemProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint], timeout: 10)
        try #require(mounted.status == 0, "cannot mount a tmpfs: \(mounted.standardError)")
        defer { _ = TandemProcess.run("/bin/umount", [mountPoint], timeout: 10) }
        // One tutorial checkpoint (565 KB) fits; the second cannot be written beside it.
        let directory = mountPoint + "/runs"
        let failed = TandemProcess.mpirun(ranks: 2, Self.run + ["--checkpoint-dir", directory])
        #expect(failed.status != 0 && !failed.timedOut)
        let errors = failed.errorLines.filter { $0.hasPrefix("tandem: ") }
        #expect(errors.count == 1 && errors[0].contains(directory + "/tandem-epoch-002.ckpt") && errors[0].contains("No space left on device"),
                "\(failed.standardError)")
        #expect(try Self.checkpoints(directory) == ["tandem-epoch-001.ckpt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["tandem-epoch-001.ckpt"])   // no temporary left
        let intact = TandemProcess.tandem(["evaluate", "--checkpoint", directory + "/tandem-epoch-001.ckpt"])
        #expect(intact.status == 0, "\(intact.standardError)")

        let warned = TandemProcess.mpirun(ranks: 2, Self.run + ["--checkpoint-dir", directory, "--checkpoint-failure", "warn",
                                                                "--resume", "auto"])
        #expect(warned.status == 0, "\(warned.standardError)")
        #expect(warned.errorLines.filter { $0.contains("checkpoint not written") && $0.contains("No space left on device") }.count == 2,
                "\(warned.standardError)")
    }
}

/// The fuzz targets' seed corpus (Tests/Fuzz, made by make_corpus.sh) and every crash input ever found
/// (kept there too), replayed through the parsers in an ordinary build: none may crash.
@Suite struct FuzzCorpusTests {
    static let corpus = InteropEnvironment.repository.appendingPathComponent("Tests/Fuzz").path
    static let replayer = URL(fileURLWithPath: TandemProcess.binary).deletingLastPathComponent().appendingPathComponent("tandem-fuzz").path

    @Test("Each fuzz target replays its corpus without a crash", arguments: ["idx", "checkpoint", "model", "npy", "npz", "safetensors", "picture", "history"])
    func replay(target: String) throws {
        let inputs = try FileManager.default.contentsOfDirectory(atPath: Self.corpus + "/" + target).sorted().map { Self.corpus + "/\(target)/" + $0 }
        #expect(!inputs.isEmpty)
        let outcome = TandemProcess.run(Self.replayer, [target] + inputs, timeout: 60)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput.contains("replayed \(inputs.count) inputs through \(target)"))
    }
}
