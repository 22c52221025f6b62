import TandemCore
import TandemMPI

/// Times the allreduce of fixed-point sums (with their conversion to floats) alone over a range of message sizes: the measured inputs (latency α,
/// inverse bandwidth β) of the communication cost model in Docs/scaling.md.
package struct CollectiveBenchmark {
    package struct Row: Codable, Sendable {
        /// 64-bit fixed-point sums per message.
        package let elements: Int
        package let bytes: Int
        /// Seconds per allreduce: min and median over `repeats` timings of `iterations` calls each.
        package let minimumSeconds: Double
        package let medianSeconds: Double
    }

    package let communicator: Communicator
    package let algorithm: AllreduceAlgorithm

    package init(communicator: Communicator, algorithm: AllreduceAlgorithm) {
        self.communicator = communicator
        self.algorithm = algorithm
    }

    /// Collective. For each size, a few untimed calls, then `repeats` timings; rank 0's clock, with a
    /// barrier before each timing so every rank starts together.
    package func run(sizes: [Int], repeats: Int, minimumSeconds: Double = 0.2) -> [Row] {
        let sums = FixedPointBuffer(count: sizes.max() ?? 1)
        let result = FloatBuffer(count: sums.count)
        let format = FixedPointFormat.gradient(addends: 32)
        var rows: [Row] = []
        for size in sizes {
            // What training does: the exact sums, then their conversion to floats.
            func allreduce() {
                communicator.allreduce(exactSums: sums.pointer, count: size, into: result.pointer, algorithm: algorithm) { first, second, range in
                    format.convert(first, second, count: range.count, to: result.pointer + range.lowerBound)
                }
            }
            for _ in 0..<3 { allreduce() }
            // Enough calls per timing to last about minimumSeconds / repeats (agreed by all ranks).
            communicator.barrier()
            let probeStart = monotonicSeconds()
            for _ in 0..<5 { allreduce() }
            var probe = [(monotonicSeconds() - probeStart) / 5]
            communicator.allreduceSum(&probe)
            let perCall = probe[0] / Double(communicator.size)
            let iterations = max(1, min(10_000, Int(minimumSeconds / Double(repeats) / max(perCall, 1e-7))))
            var timings: [Double] = []
            for _ in 0..<repeats {
                communicator.barrier()
                let start = monotonicSeconds()
                // The buffer holds zeros, and sums of zeros stay zero: every call does the same work.
                for _ in 0..<iterations { allreduce() }
                timings.append((monotonicSeconds() - start) / Double(iterations))
            }
            let statistics = Statistics(timings)
            rows.append(Row(elements: size, bytes: size * MemoryLayout<Int64>.size, minimumSeconds: statistics.min, medianSeconds: statistics.median))
        }
        return rows
    }
}
