import Foundation
import Testing
import TandemData

/// A failing rank must end the whole job, non-zero, within seconds, with the failing rank named;
/// bad input must give one clear line and a non-zero exit.
@Suite(.serialized, .enabled(if: IntegrationEnvironment.ready))
struct FailureTests {
    /// Long enough that nothing ends on its own within the time limits below.
    static let longRun = ["train", "--epochs", "3", "--no-evaluate-every-epoch"]
    static let limit = 10.0

    /// Lines Tandem itself wrote to standard error (mpirun adds its own).
    func tandemErrors(_ outcome: TandemProcess.Outcome) -> [String] { outcome.errorLines.filter { $0.hasPrefix("tandem:") } }

    @Test("A problem every rank detects (fewer images than one global batch) is reported once, without a hang")
    func agreedUsageError() {
        let outcome = TandemProcess.mpirun(ranks: 3, ["train", "--batch-size", "1000", "--limit", "640"], timeout: 60)
        #expect(outcome.status != 0 && !outcome.timedOut)
        #expect(tandemErrors(outcome).count == 1, "\(outcome.standardError)")
        #expect(tandemErrors(outcome).first?.contains("640 training images are fewer than one global batch of 1000") == true)
    }

    @Test("A diverging run stops at the first non-finite or out-of-range loss or gradient, naming step and rank")
    func divergenceStops() {
        let outcome = TandemProcess.mpirun(ranks: 2, Self.longRun + ["--limit", "6400", "--learning-rate", "1e9"], timeout: 60)
        #expect(outcome.status != 0 && outcome.seconds < Self.limit, "status \(outcome.status) after \(outcome.seconds) s")
        let errors = tandemErrors(outcome)
        #expect(errors.count >= 1 && errors.allSatisfy { $0.contains("training diverged") && $0.contains(", training sample ") },
                "\(outcome.standardError)")
        #expect(errors.first?.contains(" step ") == true && errors.first?.contains("rank ") == true)
    }

    @Test("A rank reporting an error mid-run ends the job within 10 s, naming itself")
    func rankErrorAborts() {
        let outcome = TandemProcess.mpirun(ranks: 2, Self.longRun + ["--inject-failure", "1:5:error"], timeout: 60)
        #expect(outcome.status != 0 && outcome.seconds < Self.limit, "status \(outcome.status) after \(outcome.seconds) s")
        #expect(outcome.standardError.contains("rank 1/2 on "), "\(outcome.standardError)")
        #expect(outcome.standardError.contains("step 5"))
    }

    @Test("A rank exiting without notice mid-run ends the job within 10 s")
    func rankExitEndsJob() {
        let outcome = TandemProcess.mpirun(ranks: 2, Self.longRun + ["--inject-failure", "1:5:exit"], timeout: 60)
        #expect(outcome.status != 0 && outcome.seconds < Self.limit, "status \(outcome.status) after \(outcome.seconds) s")
        #expect(outcome.standardError.contains("rank 1"), "\(outcome.standardError)")
    }

    @Test("A rank killed with SIGKILL ends the job within 10 s")
    func killedRankEndsJob() {
        var killedAt: Date?
        let outcome = TandemProcess.run("/usr/bin/mpirun", TandemProcess.mpirunOptions(ranks: 2) + [TandemProcess.binary] + Self.longRun,
                                        timeout: 60) { mpirun in
            // Wait for both ranks to be running, then kill one.
            for _ in 0..<100 {
                usleep(100_000)
                let ranks = childProcesses(of: mpirun.processIdentifier)
                if ranks.count == 2 {
                    usleep(1_500_000)   // into the training steps
                    kill(ranks[1], SIGKILL)
                    killedAt = Date()
                    return
                }
            }
        }
        let end = Date()
        let sinceKill = killedAt.map { end.timeIntervalSince($0) } ?? .infinity
        #expect(outcome.status != 0 && sinceKill < Self.limit, "status \(outcome.status), \(sinceKill) s after the kill")
    }

    @Test("A rank that hangs is caught by the stall watchdog of the others, which end the job")
    func hungRankEndsJob() {
        let outcome = TandemProcess.mpirun(ranks: 2, Self.longRun + ["--inject-failure", "1:5:hang", "--stall-timeout", "3"], timeout: 60)
        #expect(outcome.status != 0 && outcome.seconds < 3 + Self.limit, "status \(outcome.status) after \(outcome.seconds) s")
        #expect(outcome.standardError.contains("rank 0/2 on ") && outcome.standardError.contains("stalled"), "\(outcome.standardError)")
    }

    @Test("A data directory missing on one rank ends every rank with that rank's one message")
    func dataMissingOnOneRank() {
        let missing = "/nonexistent/tandem-data"
        var arguments = TandemProcess.mpirunOptions(ranks: 1) + [TandemProcess.binary, "train", "--limit", "640"]
        arguments += [":", "-np", "1", TandemProcess.binary, "train", "--limit", "640", "--data", missing]
        let outcome = TandemProcess.run("/usr/bin/mpirun", arguments, timeout: 60)
        #expect(outcome.status != 0 && outcome.seconds < Self.limit)
        #expect(tandemErrors(outcome).count == 1, "\(outcome.standardError)")
        #expect(tandemErrors(outcome).first?.contains("rank 1/2 on ") == true)
        #expect(tandemErrors(outcome).first?.contains(missing) == true)
    }

    @Test("Ranks started with other settings than rank 0 are stopped at start-up, the ranks and the flags named",
          arguments: [([["--seed", "2"], []], "rank 1 (--seed)"),
                      ([["--learning-rate", "0.002"], ["--learning-rate", "0.002"]],
                       "rank 1 (the optimiser or its schedule), rank 2 (the optimiser or its schedule)")])
    func ranksWithOtherSettingsAreNamed(extraArguments: [[String]], expected: String) throws {
        // A launch (MPMD) that gives ranks 1 and 2 their own command lines, as a wrapper script that
        // differs between hosts would.
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = ["train", "--limit", "96", "--epochs", "1", "--checkpoint-dir", directory]
        // mpirunOptions(ranks: 3) for its oversubscription flags, with rank 0's own -np 1.
        var arguments = ["-np", "1"] + TandemProcess.mpirunOptions(ranks: 3).dropFirst(2) + [TandemProcess.binary] + run
        for extra in extraArguments { arguments += [":", "-np", "1", TandemProcess.binary] + run + extra }
        let outcome = TandemProcess.run("/usr/bin/mpirun", arguments, timeout: 60)
        #expect(outcome.status != 0 && !outcome.timedOut)
        #expect(tandemErrors(outcome).filter { !$0.hasPrefix("tandem: warning: ") } == ["tandem: error: \(expected) started with settings other than rank 0's; start every rank with the same command line"],
                "\(outcome.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    /// The bit flips after the epoch's last step (3 of 3): each step's allgather gives every rank the
    /// weights' owners' values, so a flip in a weight another rank owns lasts only until the next step.
    @Test("A rank whose parameters drift from the others' (a flipped bit) is named, and no checkpoint is written")
    func divergedRankIsNamed() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outcome = TandemProcess.mpirun(ranks: 3, ["train", "--limit", "96", "--epochs", "1", "--checkpoint-dir", directory,
                                                      "--inject-failure", "2:3:corrupt"], timeout: 60)
        #expect(outcome.status != 0 && !outcome.timedOut)
        #expect(tandemErrors(outcome).filter { !$0.hasPrefix("tandem: warning: ") } == ["tandem: error: epoch 1: rank 2 holds parameters that differ from rank 0's; the ranks diverged"],
                "\(outcome.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    // --batch-size 0 is among BadInputTests' rows.
    @Test("Bad flags are refused up front with one line naming the flag", arguments: [
        (["train", "--learning-rate", "-0.1"], "--learning-rate"),
        (["train", "--epochs", "0"], "--epochs"),
        (["train", "--limit", "-5"], "--limit"),
        (["train", "--allreduce", "ring"], "--allreduce"),
        (["bench", "--steps", "0"], "--steps"),
    ])
    func badFlags(arguments: [String], flag: String) {
        let outcome = TandemProcess.tandem(arguments, timeout: 30)
        #expect(outcome.status == 64, "\(arguments): status \(outcome.status)")
        #expect(outcome.errorLines.first?.contains(flag) == true, "\(outcome.standardError)")
    }

    @Test("A missing data directory and a damaged data file each give one line naming the path")
    func badData() throws {
        let missing = TandemProcess.tandem(["train", "--data", "/nonexistent/fashion"], timeout: 30)
        #expect(missing.status == 1)
        #expect(missing.errorLines == ["tandem: error: /nonexistent/fashion: data directory does not exist"])

        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte.gz"] {
            try FileManager.default.copyItem(atPath: DatasetDirectory.defaultPath + "/" + name, toPath: directory + "/" + name)
        }
        let images = try Data(contentsOf: URL(fileURLWithPath: DatasetDirectory.defaultPath + "/train-images-idx3-ubyte.gz"))
        try images.prefix(images.count / 2).write(to: URL(fileURLWithPath: directory + "/train-images-idx3-ubyte.gz"))
        let truncated = TandemProcess.tandem(["train", "--data", directory], timeout: 60)
        #expect(truncated.status == 1)
        #expect(truncated.errorLines.count == 1, "\(truncated.standardError)")
        #expect(truncated.errorLines.first?.contains(directory + "/train-images-idx3-ubyte.gz: truncated") == true,
                "\(truncated.standardError)")
    }

    @Test("A damaged checkpoint is refused by evaluate and by resume, naming the file; a directory holding only damaged ones is refused, naming each")
    func damagedCheckpoint() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tandem-epoch-001.ckpt"
        try Data("TANDEMCK but not really a checkpoint".utf8).write(to: URL(fileURLWithPath: path))
        for arguments in [["evaluate", "--checkpoint", path], ["train", "--resume", path, "--limit", "640"]] {
            let outcome = TandemProcess.mpirun(ranks: 2, arguments, timeout: 60)
            #expect(outcome.status != 0 && !outcome.timedOut)
            let errors = tandemErrors(outcome)
            #expect(errors.count == 1 && errors[0].contains(path) && errors[0].contains("too short"), "\(outcome.standardError)")
        }
        // A directory: each damaged checkpoint is named with its problem, then one error; no fresh start.
        let outcome = TandemProcess.mpirun(ranks: 2, ["train", "--resume", directory, "--limit", "640"], timeout: 60)
        #expect(outcome.status != 0 && !outcome.timedOut)
        let lines = tandemErrors(outcome)
        #expect(lines.count == 2 && lines[0].hasPrefix("tandem: warning: \(path): too short")
                && lines[1].contains("\(directory): none of its 1 checkpoints can be used"), "\(outcome.standardError)")
    }
}

/// The process ids whose parent is `parent`, in ascending order.
func childProcesses(of parent: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 && Int32(fields[1]) == parent
    }.sorted()
}
