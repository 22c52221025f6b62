import TandemCore
import TandemMPI
#if canImport(Glibc)
import Glibc
#endif

extension Communicator {
    /// Runs a start-up step on every rank and makes the ranks agree on its outcome before anyone goes on.
    ///
    /// If it fails anywhere, the lowest failing rank prints its error once (a `UsageError` plainly, any
    /// other error as `rank r/N on HOST: …`) and every rank exits with status 64 (usage) or 1, so a
    /// problem on one rank (a data file missing on one host) neither hangs the job nor prints N times.
    /// Collective: every rank must call it, in the same order.
    public func agree<T>(_ body: () throws -> T) -> T {
        var outcome: Result<T, Error>
        do { outcome = .success(try body()) } catch { outcome = .failure(error) }
        let failedRank: Int64
        if case .failure = outcome { failedRank = Int64(rank) } else { failedRank = Int64.max }
        let lowest = size > 1 ? allreduceMinimumAndMaximum(failedRank).minimum : failedRank
        switch outcome {
        case let .success(value) where lowest == Int64.max:
            return value
        case let .failure(error) where lowest == Int64(rank):
            if error is UsageError || size == 1 || self is SingleProcessCommunicator {
                StandardError.write("tandem: error: \(error)")
            } else {
                StandardError.write("tandem: " + Fatal.line("\(error)", communicator: self))
            }
            finishAndExit(error is UsageError ? 64 : 1)
        case let .failure(error):
            finishAndExit(error is UsageError ? 64 : 1)
        default:
            // Another rank failed; it reports the problem.
            finishAndExit(1)
        }
    }

    /// Ends the job unless every rank was given the same `settings` (flag, value): what decides the
    /// result or the collectives each rank makes. A rank started with another command line (an MPMD
    /// launch, a wrapper script that differs per host) would train another run, be noticed only at the
    /// first checkpoint, or wait in a collective the others never enter. Each setting's value is
    /// hashed; rank 0's hashes are broadcast; rank 0 names every rank that differs and the first flag
    /// it differs in, and all exit with status 64. Collective.
    public func agreeOnSettings(_ settings: [(flag: String, value: String)]) {
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
        if isRoot {
            let described = differing.map { "rank \($0) (\(settings[Int(differences[$0]) - 1].flag))" }
            StandardError.write("tandem: error: \(described.joined(separator: ", ")) started with settings other than rank 0's; start every rank with the same command line")
        }
        finishAndExit(64)
    }

    /// Finalizes MPI and exits; for ends every rank reaches together.
    public func finishAndExit(_ code: Int32) -> Never {
        fflush(nil)
        finalize()
        exit(code)
    }
}
