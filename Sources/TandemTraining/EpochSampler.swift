import TandemCore
import TandemMPI

/// Which training samples each rank uses at each step, and in which blocks.
///
/// Everything is computed from global numbers, identically on every rank: one permutation of the
/// training set per epoch from `(seed, epoch)`, cut into global batches in order; each global batch cut
/// into ⌈batch/m⌉ canonical micro-batches of `m` consecutive samples (the last may be smaller), whose
/// content never depends on the rank count. Rank `r` of `N` takes the `r`-th of `N` contiguous runs of
/// whole micro-batches, split as evenly as possible (the first `microBatches mod N` ranks take one
/// more); its threads split its run the same way. Each micro-batch's gradient is summed exactly
/// (`FixedPointFormat`), so neither the split nor the order of the additions changes the result. Steps
/// per epoch are `⌊samples / globalBatch⌋` (the remainder is left out, as a fixed number of collective
/// calls per epoch on every rank needs), so no rank ever waits on a call another rank never makes.
package struct EpochSampler: Sendable {
    package let sampleCount: Int
    package let globalBatchSize: Int
    /// `m`: samples per canonical micro-batch.
    package let microBatchSize: Int
    package let rank: Int
    package let rankCount: Int
    package let seed: UInt64

    package init(sampleCount: Int, globalBatchSize: Int, microBatchSize: Int, rank: Int, rankCount: Int, seed: UInt64) {
        precondition(globalBatchSize > 0, "the global batch must hold at least one sample")
        precondition(microBatchSize > 0, "a micro-batch holds at least one sample")
        precondition(rank >= 0 && rank < rankCount)
        self.sampleCount = sampleCount
        self.globalBatchSize = globalBatchSize
        self.microBatchSize = microBatchSize
        self.rank = rank
        self.rankCount = rankCount
        self.seed = seed
    }

    package var stepsPerEpoch: Int { sampleCount / globalBatchSize }
    /// ⌈batch/m⌉.
    package var microBatchesPerStep: Int { (globalBatchSize + microBatchSize - 1) / microBatchSize }
    /// This rank's micro-batches of every step, by index within the step.
    package var rankMicroBatches: Range<Int> { shardRange(microBatchesPerStep, part: rank, of: rankCount) }
    /// The most micro-batches any rank takes per step.
    package var largestRankMicroBatchCount: Int { (microBatchesPerStep + rankCount - 1) / rankCount }

    /// The order samples are visited in during `epoch` (counted from 1), the same on every rank.
    package func order(epoch: Int) -> [Int32] {
        var generator = RandomGenerator(seed: seed, stream: RandomStream.shuffle(epoch: epoch))
        return generator.permutation(count: sampleCount)
    }

    /// The positions in `order(epoch:)` of micro-batch `index` (counted from 0 within the step) of `step`.
    package func microBatch(_ index: Int, step: Int) -> Range<Int> {
        let start = index * microBatchSize
        return step * globalBatchSize + start..<step * globalBatchSize + min(start + microBatchSize, globalBatchSize)
    }

    /// The micro-batches of this rank's run that thread `thread` of `threads` takes.
    package func threadMicroBatches(_ thread: Int, of threads: Int) -> Range<Int> {
        let run = rankMicroBatches, share = shardRange(run.count, part: thread, of: threads)
        return run.lowerBound + share.lowerBound..<run.lowerBound + share.upperBound
    }

    /// The default `m` for a model and a global batch, never the rank or thread count (so that a run
    /// gives the same weights on any number of them): the smallest power of two whose blocks make the
    /// exact sums — rounding a block's gradient to fixed point and adding it, about 20 bytes of memory
    /// traffic per parameter — a small share of computing the block, and at most half the batch (so
    /// that at least two ranks or threads have work). Smaller is better where the sums allow it: a
    /// sample's activations stay in the core's cache from one layer to the next.
    package static func defaultMicroBatchSize(parameters: Int, trainingFLOPsPerSample: Int, globalBatchSize: Int) -> Int {
        // A block's sums cost about as much as 200 FLOPs per parameter (20 bytes at 10 FLOPs a byte, the
        // ratio of a core's GEMM rate to its memory bandwidth); keep that under a tenth of the block's work.
        let wanted = 2000 * Double(parameters) / Double(max(trainingFLOPsPerSample, 1))
        var size = 1
        while Double(size) < wanted { size *= 2 }
        return max(1, min(size, globalBatchSize / 2))
    }
}
