import CMPI

/// Tandem's own allreduces of fixed-point sums (`AllreduceAlgorithm.tree…`), over `MPI_Sendrecv`.
///
/// With `p` the largest power of two ≤ `size`, ranks `p…size-1` first fold their buffers into ranks
/// `0…size-p-1` and get the result back at the end; the `p` ranks combine in a pairwise tree:
/// partners at distance 1, then 2, 4, … The sums are integers, so this order is one of many that give
/// the same bits; the schedules differ only in messages and bytes sent.
extension MPICommunicator {
    /// Messages below this many bytes go by recursive doubling (fewer messages), larger ones by
    /// halving then doubling (less data) when there are more than two ranks.
    static let halvingThresholdBytes = 32 * 1024

    func treeAllreduce(_ buffer: UnsafeMutablePointer<Int64>, count: Int, algorithm: AllreduceAlgorithm) {
        let incoming = receiveBuffer(count: count)
        var powerOfTwo = 1
        while powerOfTwo * 2 <= size { powerOfTwo *= 2 }

        // Fold the ranks beyond the power of two into the first ones.
        if rank >= powerOfTwo {
            send(buffer, count: count, to: rank - powerOfTwo)
            receive(buffer, count: count, from: rank - powerOfTwo)
            return
        }
        if rank + powerOfTwo < size {
            receive(incoming, count: count, from: rank + powerOfTwo)
            add(incoming, into: buffer, count: count)
        }

        let halving = switch algorithm {
        case .treeHalving: true
        case .treeDoubling: false
        default: powerOfTwo > 2 && count * MemoryLayout<Int64>.size >= Self.halvingThresholdBytes
        }
        if halving {
            recursiveHalvingThenDoubling(buffer, count: count, powerOfTwo: powerOfTwo, incoming: incoming)
        } else {
            recursiveDoubling(buffer, count: count, powerOfTwo: powerOfTwo, incoming: incoming)
        }

        if rank + powerOfTwo < size {
            send(buffer, count: count, to: rank + powerOfTwo)
        }
    }

    /// log₂p exchanges of the whole buffer; after the one at distance d, every rank holds the sum over
    /// its aligned group of 2d ranks.
    private func recursiveDoubling(_ buffer: UnsafeMutablePointer<Int64>, count: Int, powerOfTwo: Int,
                                   incoming: UnsafeMutablePointer<Int64>) {
        var distance = 1
        while distance < powerOfTwo {
            exchange(send: buffer, count: count, receive: incoming, count: count, with: rank ^ distance)
            add(incoming, into: buffer, count: count)
            distance *= 2
        }
    }

    /// Reduce-scatter by recursive halving (distance 1, 2, 4, …: the same pairwise tree as doubling,
    /// each step on half the range of the one before), then allgather by recursive doubling in reverse.
    private func recursiveHalvingThenDoubling(_ buffer: UnsafeMutablePointer<Int64>, count: Int, powerOfTwo: Int,
                                              incoming: UnsafeMutablePointer<Int64>) {
        var lower = 0, upper = count
        var distance = 1
        while distance < powerOfTwo {
            let middle = lower + (upper - lower) / 2
            let keepsLower = rank & distance == 0
            let kept = keepsLower ? lower..<middle : middle..<upper
            let given = keepsLower ? middle..<upper : lower..<middle
            exchange(send: buffer + given.lowerBound, count: given.count,
                     receive: incoming, count: kept.count, with: rank ^ distance)
            add(incoming, into: buffer + kept.lowerBound, count: kept.count)
            (lower, upper) = (kept.lowerBound, kept.upperBound)
            distance *= 2
        }
        // Now this rank holds the complete sum of [lower, upper). Undo the halving, largest distance first.
        while distance > 1 {
            distance /= 2
            let parent = parentRange(of: distance, count: count)
            let sibling = lower == parent.lowerBound ? upper..<parent.upperBound : parent.lowerBound..<lower
            exchange(send: buffer + lower, count: upper - lower,
                     receive: buffer + sibling.lowerBound, count: sibling.count, with: rank ^ distance)
            (lower, upper) = (parent.lowerBound, parent.upperBound)
        }
    }

    /// The range this rank held before the halving step at `distance`: replays the halving from the
    /// whole buffer (a few integer operations; nothing stored).
    private func parentRange(of distance: Int, count: Int) -> Range<Int> {
        var lower = 0, upper = count
        var step = 1
        while step < distance {
            let middle = lower + (upper - lower) / 2
            (lower, upper) = rank & step == 0 ? (lower, middle) : (middle, upper)
            step *= 2
        }
        return lower..<upper
    }
}
