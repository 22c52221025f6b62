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

    /// Finalizes MPI and exits; for ends every rank reaches together.
    public func finishAndExit(_ code: Int32) -> Never {
        fflush(nil)
        finalize()
        exit(code)
    }
}
