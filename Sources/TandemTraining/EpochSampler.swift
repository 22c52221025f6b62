import TandemCore
import TandemMPI

/// Which training samples each rank uses at each step.
///
/// Everything is computed from global numbers, identically on every rank: one permutation of the
/// training set per epoch from `(seed, epoch)`, cut into global batches in order; rank `r` of `N`
/// takes the `r`-th of `N` contiguous slices of each global batch, split as evenly as possible (the
/// first `batch mod N` ranks take one sample more). Which rank computes a sample does not change its
/// gradient, and the gradients are summed exactly (`FixedPointFormat`), so the split does not change
/// the result. Steps per epoch are `⌊samples / globalBatch⌋` (the remainder is left out, as a fixed
/// number of collective calls per epoch on every rank needs), so no rank ever waits on a call another
/// rank never makes.
public struct EpochSampler: Sendable {
    public let sampleCount: Int
    public let globalBatchSize: Int
    public let rank: Int
    public let rankCount: Int
    public let seed: UInt64

    public init(sampleCount: Int, globalBatchSize: Int, rank: Int, rankCount: Int, seed: UInt64) {
        precondition(globalBatchSize > 0, "the global batch must hold at least one sample")
        precondition(rank >= 0 && rank < rankCount)
        self.sampleCount = sampleCount
        self.globalBatchSize = globalBatchSize
        self.rank = rank
        self.rankCount = rankCount
        self.seed = seed
    }

    /// This rank's samples per step: ⌊batch/N⌋ or one more.
    public var rankBatchSize: Int { rankSlice(step: 0).count }
    /// The most samples any rank takes per step, ⌈batch/N⌉: what each rank's buffers are sized for.
    public var largestRankBatchSize: Int { (globalBatchSize + rankCount - 1) / rankCount }
    public var stepsPerEpoch: Int { sampleCount / globalBatchSize }

    /// The order samples are visited in during `epoch` (counted from 1), the same on every rank.
    public func order(epoch: Int) -> [Int32] {
        var generator = RandomGenerator(seed: seed, stream: RandomStream.shuffle(epoch: epoch))
        return generator.permutation(count: sampleCount)
    }

    /// The positions in `order(epoch:)` that this rank uses at `step` (counted from 0).
    public func rankSlice(step: Int) -> Range<Int> {
        let slice = shardRange(globalBatchSize, part: rank, of: rankCount)
        let start = step * globalBatchSize
        return start + slice.lowerBound..<start + slice.upperBound
    }
}
