import TandemCore
import TandemMPI

/// Times the allreduce of fixed-point sums alone over a range of message sizes: the measured inputs (latency α,
/// inverse bandwidth β) of the communication cost model in Docs/scaling.md.
public struct CollectiveBenchmark {
    public struct Row: Codable, Sendable {
        /// 64-bit fixed-point sums per message.
        public let elements: Int
        public let bytes: Int
        /// Seconds per allreduce: min and median over `repeats` timings of `iterations` calls each.
        public let minimumSeconds: Double
        public let medianSeconds: Double
    }

    public let communicator: Communicator
    public let algorithm: AllreduceAlgorithm

    public init(communicator: Communicator, algorithm: AllreduceAlgorithm) {
        self.communicator = communicator
        self.algorithm = algorithm
    }

    /// Collective. For each size, a few untimed calls, then `repeats` timings; rank 0's clock, with a
    /// barrier before each timing so every rank starts together.
    public func run(sizes: [Int], repeats: Int, minimumSeconds: Double = 0.2) -> [Row] {
        let buffer = FixedPointBuffer(count: sizes.max() ?? 1)
        var rows: [Row] = []
        for size in sizes {
            for _ in 0..<3 { communicator.allreduceSum(buffer.pointer, count: size, algorithm: algorithm) }
            // Enough calls per timing to last about minimumSeconds / repeats (agreed by all ranks).
            communicator.barrier()
            let probeStart = monotonicSeconds()
            for _ in 0..<5 { communicator.allreduceSum(buffer.pointer, count: size, algorithm: algorithm) }
            var probe = [(monotonicSeconds() - probeStart) / 5]
            communicator.allreduceSum(&probe)
            let perCall = probe[0] / Double(communicator.size)
            let iterations = max(1, min(10_000, Int(minimumSeconds / Double(repeats) / max(perCall, 1e-7))))
            var timings: [Double] = []
            for _ in 0..<repeats {
                communicator.barrier()
                let start = monotonicSeconds()
                // The buffer holds zeros, and sums of zeros stay zero: every call does the same work.
                for _ in 0..<iterations {
                    communicator.allreduceSum(buffer.pointer, count: size, algorithm: algorithm)
                }
                timings.append((monotonicSeconds() - start) / Double(iterations))
            }
            let statistics = Statistics(timings)
            rows.append(Row(elements: size, bytes: size * MemoryLayout<Int64>.size, minimumSeconds: statistics.min, medianSeconds: statistics.median))
        }
        return rows
    }
}
