#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGUSR1 — what Slurm sends before a time limit or a preemption — ask the run to stop
/// at the next step boundary. The handler only records the signal: checkpoints are written by the
/// training loop, never from a handler. The ranks learn of it through the step's own allreduce (a
/// count in the exact sums), so all stop after the same step and none is left inside a collective.
package enum Preemption {
    /// The exit status of a preempted run: 75, `EX_TEMPFAIL` (sysexits.h), "try again later":
    /// `--resume auto` continues it.
    package static let exitStatus: Int32 = 75
    package static let signals: [Int32] = [SIGTERM, SIGUSR1]

    /// Written by the handler only; allocated before the handler is installed, never freed.
    nonisolated(unsafe) private static var received: UnsafeMutablePointer<sig_atomic_t> = {
        let pointer = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return pointer
    }()

    package static func install() {
        _ = received   // initialised here, outside any handler
        // A launcher may have started this process with the signals blocked (a mask is inherited
        // across exec); then they would never arrive. Threads started later inherit this mask.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for signal in signals { sigaddset(&unblocked, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in Preemption.received.pointee = number }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, nil)
        }
    }

    /// The signal received since `install()`, or 0.
    package static var signal: Int32 { received.pointee }

    package static func signalName(_ number: Int32) -> String {
        switch number {
        case SIGTERM: "SIGTERM"
        case SIGUSR1: "SIGUSR1"
        default: "signal \(number)"
        }
    }
}
