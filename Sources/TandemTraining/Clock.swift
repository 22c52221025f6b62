#if canImport(Glibc)
import Glibc
#endif

/// Seconds on the monotonic clock.
@inline(__always)
package func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// Where a rank's time goes during training steps, summed over the steps measured.
package struct PhaseTimes: Sendable {
    /// Converting the rank's samples from bytes to floats.
    package var data = 0.0
    package var forward = 0.0
    package var backward = 0.0
    /// Rounding per-sample gradients to fixed point and adding them up.
    package var gradientSum = 0.0
    /// Waiting for the slowest rank before the allreduce (measured only when a barrier separates it;
    /// otherwise it is part of `allreduce`).
    package var wait = 0.0
    /// The allreduce of the fixed-point sums, and their conversion back to a float gradient.
    package var allreduce = 0.0
    /// Adam and the per-step preparation of derived weights.
    package var optimizer = 0.0
    package var steps = 0

    package init() {}

    package static let phaseNames = ["data", "forward", "backward", "gradient sum", "wait", "allreduce", "optimizer"]
    package var phaseSeconds: [Double] { [data, forward, backward, gradientSum, wait, allreduce, optimizer] }
}
