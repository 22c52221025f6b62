import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Ends the job when one collective call has waited longer than `timeout` seconds: a peer that has
/// stopped (SIGSTOP, a deadlock, a hung file system) would otherwise keep every rank waiting for
/// ever. Prints `rank r/N on HOST: stalled …` and exits; `mpirun` then ends the other ranks.
final class StallWatchdog: @unchecked Sendable {
    private let timeout: Double
    private let prefix: String
    /// Nanoseconds (monotonic) when the current collective began; 0 outside collectives.
    private let enteredAt = Atomic<UInt64>(0)
    private let running = Atomic<Bool>(true)
    /// Which collective, and its size: stored as numbers so that entering one allocates nothing.
    private let operation = Atomic<Int>(0)
    private let elementCount = Atomic<Int>(0)

    enum Operation: Int {
        case allreduce, statistics, checksum, broadcast, barrier
        func describe(count: Int) -> String {
            switch self {
            case .allreduce: "the allreduce of \(count) fixed-point sums"
            case .statistics: "the allreduce of measurements"
            case .checksum: "the checksum comparison"
            case .broadcast: "a broadcast of \(count) bytes"
            case .barrier: "a barrier"
            }
        }
    }
    private var thread = pthread_t()

    init(timeout: Double, rank: Int, size: Int, hostName: String) {
        self.timeout = timeout
        prefix = "rank \(rank)/\(size) on \(hostName)"
        let unmanaged = Unmanaged.passRetained(self)
        pthread_create(&thread, nil, { argument in
            let watchdog = Unmanaged<StallWatchdog>.fromOpaque(argument!).takeRetainedValue()
            watchdog.watch()
            return nil
        }, unmanaged.toOpaque())
    }

    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    @inline(__always)
    func enter(_ what: Operation, count: Int = 0) {
        operation.store(what.rawValue, ordering: .relaxed)
        elementCount.store(count, ordering: .relaxed)
        enteredAt.store(Self.now(), ordering: .releasing)
    }

    @inline(__always)
    func leave() { enteredAt.store(0, ordering: .releasing) }

    func stop() {
        running.store(false, ordering: .releasing)
        pthread_join(thread, nil)
    }

    private func watch() {
        while running.load(ordering: .acquiring) {
            usleep(200_000)
            let started = enteredAt.load(ordering: .acquiring)
            guard started != 0 else { continue }
            let waited = Double(Self.now() &- started) / 1e9
            if waited > timeout {
                let what = Operation(rawValue: operation.load(ordering: .relaxed))?
                    .describe(count: elementCount.load(ordering: .relaxed)) ?? "a collective"
                fflush(nil)
                StandardError.write("tandem: \(prefix): stalled for \(Int(waited)) s in \(what); a peer has stopped responding. Ending the job (--stall-timeout).")
                _exit(3)
            }
        }
    }
}
