import TandemCore
import TandemMPI
#if canImport(Glibc)
import Glibc
#endif

/// A start-up step that failed on some rank, thrown on every rank by `Communicator.agreeing`.
package struct StartupFailure: Error, CustomStringConvertible {
    /// This rank's own error; nil where the step failed only on other ranks.
    package let error: Error?
    /// Whether this rank reports the failure: the lowest rank that failed.
    package let reports: Bool
    /// The exit status a command line ends with: 64 for a usage error, 1 otherwise.
    package var exitStatus: Int32 { error is UsageError ? 64 : 1 }
    package var description: String { error.map { "\($0)" } ?? "a start-up step failed on another rank" }
}

/// `TANDEM_KERNELS` named a level this rank cannot run, or no level at all.
struct KernelLevelError: Error, CustomStringConvertible {
    let description: String
}

extension Communicator {
    /// Runs a start-up step on every rank and makes the ranks agree on its outcome before anyone goes on:
    /// if it fails anywhere, every rank throws a `StartupFailure`, the lowest failing rank's holding its
    /// error, so a problem on one rank (a data file missing on one host) neither hangs the job nor is
    /// reported N times. Collective: every rank must call it, in the same order.
    package func agreeing<T>(_ body: () throws -> T) throws -> T {
        var outcome: Result<T, Error>
        do { outcome = .success(try body()) } catch { outcome = .failure(error) }
        let failedRank: Int64
        if case .failure = outcome { failedRank = Int64(rank) } else { failedRank = Int64.max }
        let lowest = size > 1 ? allreduceMinimumAndMaximum(failedRank).minimum : failedRank
        switch outcome {
        case let .success(value) where lowest == Int64.max:
            return value
        case let .failure(error):
            throw StartupFailure(error: error, reports: lowest == Int64(rank))
        default:
            throw StartupFailure(error: nil, reports: false)
        }
    }

    /// Fails on every rank unless each one follows `TANDEM_KERNELS` (a rank on another host may lack the
    /// level it names): the first agreed step of a run, an evaluation or a benchmark.
    package func agreeingOnKernelLevel() throws {
        try agreeing {
            if let problem = KernelLevel.environmentProblem { throw KernelLevelError(description: problem) }
        }
    }

    /// `agreeing`, for a command line: a failure is reported once, by the lowest failing rank (a
    /// `UsageError` plainly, any other error as `rank r/N on HOST: …`), and every rank exits with status
    /// 64 (usage) or 1.
    package func agree<T>(_ body: () throws -> T) -> T {
        do { return try agreeing(body) } catch { end(after: error) }
    }

    /// Ends every rank after a start-up failure thrown by `agreeing` (reported by the rank that holds it),
    /// or after any other error this rank met alone.
    package func end(after error: Error) -> Never {
        let failure = error as? StartupFailure ?? StartupFailure(error: error, reports: true)
        if let reported = failure.error, failure.reports {
            if reported is UsageError || size == 1 || self is SingleProcessCommunicator {
                StandardError.write("tandem: error: \(reported)")
            } else {
                StandardError.write("tandem: " + Fatal.line("\(reported)", communicator: self))
            }
        }
        finishAndExit(failure.exitStatus)
    }

    /// Throws a `StartupFailure` (a `UsageError` on every rank, reported by rank 0) unless every rank was
    /// given the same `settings` (flag, value): what decides the result or the collectives each rank
    /// makes. A rank started with another command line (an MPMD launch, a wrapper script that differs
    /// per host) would train another run, be noticed only at the first checkpoint, or wait in a
    /// collective the others never enter. Each setting's value is hashed; rank 0's hashes are
    /// broadcast; rank 0's error names every rank that differs and the first flag it differs in. Collective.
    package func agreeingOnSettings(_ settings: [(flag: String, value: String)]) throws {
        guard size > 1 else { return }
        var hashes = settings.map { setting -> UInt64 in
            var hasher = SHA256()
            hasher.update(Array(setting.value.utf8))
            return hasher.finalize().prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
        }
        let own = hashes
        hashes.withUnsafeMutableBytes { broadcast($0.baseAddress!, byteCount: $0.count, root: 0) }
        // Per rank: 1 + the index of the first setting that differs from rank 0's, or 0.
        let differences = FixedPointBuffer(count: size)
        differences.fill(with: 0)
        differences[rank] = Int64(own.indices.first { own[$0] != hashes[$0] }.map { $0 + 1 } ?? 0)
        allreduceSum(differences.pointer, count: size)
        let differing = (0..<size).filter { differences[$0] != 0 }
        guard !differing.isEmpty else { return }
        let described = differing.map { "rank \($0) (\(settings[Int(differences[$0]) - 1].flag))" }
        throw StartupFailure(error: UsageError("\(described.joined(separator: ", ")) started with settings other than rank 0's; start every rank with the same command line"),
                             reports: isRoot)
    }

    /// Finalizes MPI and exits; for ends every rank reaches together.
    package func finishAndExit(_ code: Int32) -> Never {
        fflush(nil)
        finalize()
        exit(code)
    }
}
