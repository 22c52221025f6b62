import CMPI

/// Tandem's own schedules for `allreduce(exactSums:…)` (`AllreduceAlgorithm.tree…`), over `MPI_Sendrecv`.
///
/// With `p` the largest power of two ≤ `size`, ranks `p…size-1` first fold their sums into ranks
/// `0…size-p-1` and get the float result back at the end; the `p` ranks combine partners at distance 1,
/// then 2, 4, … The sums are integers, so this order is one of many that give the same bits; the
/// schedules differ only in messages and bytes sent.
extension MPICommunicator {
    /// Messages below this many bytes go by recursive doubling of the sums (fewest messages), larger
    /// ones by halving then doubling (fewest bytes).
    static let halvingThresholdBytes = 32 * 1024

    func treeAllreduce(exactSums sums: UnsafeMutablePointer<Int64>, count: Int, into result: UnsafeMutablePointer<Float>,
                       algorithm: AllreduceAlgorithm, convert: (UnsafePointer<Int64>, Range<Int>) -> Void) {
        var powerOfTwo = 1
        while powerOfTwo * 2 <= size { powerOfTwo *= 2 }

        // Fold the ranks beyond the power of two into the first ones.
        if rank >= powerOfTwo {
            send(sums, count: count, to: rank - powerOfTwo)
            receive(result, count: count, from: rank - powerOfTwo)
            return
        }
        let incoming = receiveBuffer(count: count)
        if rank + powerOfTwo < size {
            receive(incoming, count: count, from: rank + powerOfTwo)
            add(incoming, into: sums, count: count)
        }

        let halving = switch algorithm {
        case .treeHalving: true
        case .treeDoubling: false
        default: count * MemoryLayout<Int64>.size >= Self.halvingThresholdBytes
        }
        if halving {
            let owned = recursiveHalving(sums, count: count, powerOfTwo: powerOfTwo, incoming: incoming)
            convert(sums + owned.lowerBound, owned)
            recursiveDoublingGather(result, count: count, powerOfTwo: powerOfTwo, owned: owned)
        } else {
            recursiveDoubling(sums, count: count, powerOfTwo: powerOfTwo, incoming: incoming)
            convert(sums, 0..<count)
        }

        if rank + powerOfTwo < size {
            send(result, count: count, to: rank + powerOfTwo)
        }
    }

    /// log₂p exchanges of the whole buffer of sums; after the one at distance d, every rank holds the
    /// sum over its aligned group of 2d ranks.
    private func recursiveDoubling(_ sums: UnsafeMutablePointer<Int64>, count: Int, powerOfTwo: Int,
                                   incoming: UnsafeMutablePointer<Int64>) {
        var distance = 1
        while distance < powerOfTwo {
            exchange(send: sums, count: count, receive: incoming, count: count, with: rank ^ distance)
            add(incoming, into: sums, count: count)
            distance *= 2
        }
    }

    /// Reduce-scatter by recursive halving (distance 1, 2, 4, …, each step on half the range of the one
    /// before): returns the range of which this rank then holds the complete sums.
    private func recursiveHalving(_ sums: UnsafeMutablePointer<Int64>, count: Int, powerOfTwo: Int,
                                  incoming: UnsafeMutablePointer<Int64>) -> Range<Int> {
        var lower = 0, upper = count
        var distance = 1
        while distance < powerOfTwo {
            let middle = lower + (upper - lower) / 2
            let keepsLower = rank & distance == 0
            let kept = keepsLower ? lower..<middle : middle..<upper
            let given = keepsLower ? middle..<upper : lower..<middle
            exchange(send: sums + given.lowerBound, count: given.count,
                     receive: incoming, count: kept.count, with: rank ^ distance)
            add(incoming, into: sums + kept.lowerBound, count: kept.count)
            (lower, upper) = (kept.lowerBound, kept.upperBound)
            distance *= 2
        }
        return lower..<upper
    }

    /// Allgather by recursive doubling, undoing the halving largest distance first: each rank sends the
    /// converted floats of the range it holds and receives its partner's.
    private func recursiveDoublingGather(_ result: UnsafeMutablePointer<Float>, count: Int, powerOfTwo: Int, owned: Range<Int>) {
        var (lower, upper) = (owned.lowerBound, owned.upperBound)
        var distance = powerOfTwo
        while distance > 1 {
            distance /= 2
            let parent = parentRange(of: distance, count: count)
            let sibling = lower == parent.lowerBound ? upper..<parent.upperBound : parent.lowerBound..<lower
            exchange(send: result + lower, count: upper - lower,
                     receive: result + sibling.lowerBound, count: sibling.count, with: rank ^ distance)
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
