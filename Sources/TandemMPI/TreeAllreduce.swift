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
    /// Large messages go in pieces of at most this many sums (1 MiB), each added as it arrives, so the
    /// receive buffer stays small whatever the model (a 9.75 M-parameter model's would be 78 MB).
    static let pieceCount = 1 << 17

    func treeAllreduce(exactSums sums: UnsafeMutablePointer<Int64>, count: Int, into result: UnsafeMutablePointer<Float>,
                       algorithm: AllreduceAlgorithm, convert: ExactSumConversion) {
        let powerOfTwo = self.powerOfTwo

        // Fold the ranks beyond the power of two into the first ones (in the pieces their partners add).
        if rank >= powerOfTwo {
            for offset in stride(from: 0, to: count, by: Self.pieceCount) {
                exchange(send: sums + offset, count: min(Self.pieceCount, count - offset), receive: sums, count: 0,
                         with: rank - powerOfTwo)
            }
            receive(result, count: count, from: rank - powerOfTwo)
            return
        }
        let incoming = receiveBuffer(count: min(count, Self.pieceCount))
        if rank + powerOfTwo < size {
            exchangeAndAdd(sending: sums, count: 0, receivingInto: sums, count: count, with: rank + powerOfTwo, incoming: incoming)
        }

        if halves(count: count, algorithm: algorithm) {
            let owned = recursiveHalving(sums, count: count, powerOfTwo: powerOfTwo, incoming: incoming, convert: convert)
            recursiveDoublingGather(result, count: count, powerOfTwo: powerOfTwo, owned: owned)
        } else {
            recursiveDoubling(sums, count: count, powerOfTwo: powerOfTwo, incoming: incoming)
            convert(sums, nil, 0..<count)
        }

        if rank + powerOfTwo < size {
            send(result, count: count, to: rank + powerOfTwo)
        }
    }

    /// Sums rounded from block gradients go to `convert` this many at a time, in a buffer that stays in
    /// a core's cache.
    static let roundingCount = 1 << 14

    /// `allreduce(blockGradients:…)` between ranks 0 and 1: the halving's one exchange, of floats (in
    /// pieces, as `recursiveHalving`'s, for the same shares), each piece rounded with this rank's own
    /// floats and converted as it arrives; then the allgather of the results.
    func pairAllreduce(blockGradients gradient: UnsafePointer<Float>, count: Int, into result: UnsafeMutablePointer<Float>,
                       round: BlockGradientRounding, convert: ExactSumConversion) {
        let middle = count / 2
        let (kept, given) = rank == 0 ? (0..<middle, middle..<count) : (middle..<count, 0..<middle)
        let incoming = floatReceiveBuffer(count: min(kept.count, Self.pieceCount))
        let sums = receiveBuffer(count: Self.roundingCount)
        exchange(sending: gradient + given.lowerBound, count: given.count, receiving: kept.count, with: rank ^ 1,
                 incoming: incoming) { offset, received in
            for start in stride(from: 0, to: received, by: Self.roundingCount) {
                let piece = kept.lowerBound + offset + start..<kept.lowerBound + offset + min(start + Self.roundingCount, received)
                round(gradient + piece.lowerBound, incoming + start, piece.count, sums)
                convert(sums, nil, piece)
            }
        }
        recursiveDoublingGather(result, count: count, powerOfTwo: 2, owned: kept)
    }

    /// Whether a message of `count` sums goes by halving then doubling (else by doubling alone).
    func halves(count: Int, algorithm: AllreduceAlgorithm) -> Bool {
        switch algorithm {
        case .treeHalving: true
        case .treeDoubling: false
        default: count * MemoryLayout<Int64>.size >= Self.halvingThresholdBytes
        }
    }

    /// The largest power of two ≤ size: the ranks that take part in the exchanges.
    private var powerOfTwo: Int {
        var powerOfTwo = 1
        while powerOfTwo * 2 <= size { powerOfTwo *= 2 }
        return powerOfTwo
    }

    /// Every rank's share of `values` to every rank: the allgather of `treeAllreduce` (after halving), and
    /// the copy to each folded rank.
    func treeGatherShares(_ values: UnsafeMutablePointer<Float>, count: Int, algorithm: AllreduceAlgorithm) {
        let powerOfTwo = self.powerOfTwo
        if rank >= powerOfTwo {
            receive(values, count: count, from: rank - powerOfTwo)
            return
        }
        if halves(count: count, algorithm: algorithm) {
            recursiveDoublingGather(values, count: count, powerOfTwo: powerOfTwo,
                                    owned: parentRange(of: powerOfTwo, count: count))
        }
        if rank + powerOfTwo < size { send(values, count: count, to: rank + powerOfTwo) }
    }

    /// log₂p exchanges of the whole buffer of sums; after the one at distance d, every rank holds the
    /// sum over its aligned group of 2d ranks.
    private func recursiveDoubling(_ sums: UnsafeMutablePointer<Int64>, count: Int, powerOfTwo: Int,
                                   incoming: UnsafeMutablePointer<Int64>) {
        var distance = 1
        while distance < powerOfTwo {
            exchangeAndAdd(sending: sums, count: count, receivingInto: sums, count: count, with: rank ^ distance, incoming: incoming)
            distance *= 2
        }
    }

    /// Reduce-scatter by recursive halving (distance 1, 2, 4, …, each step on half the range of the one
    /// before), then `convert` of the range this rank ends with: the last exchange's pieces go to
    /// `convert` with the partner's part beside this rank's, as they arrive, instead of being added
    /// first (one pass less over the sums). Returns that range.
    private func recursiveHalving(_ sums: UnsafeMutablePointer<Int64>, count: Int, powerOfTwo: Int,
                                  incoming: UnsafeMutablePointer<Int64>, convert: ExactSumConversion) -> Range<Int> {
        var lower = 0, upper = count
        var distance = 1
        while distance < powerOfTwo {
            let middle = lower + (upper - lower) / 2
            let keepsLower = rank & distance == 0
            let kept = keepsLower ? lower..<middle : middle..<upper
            let given = keepsLower ? middle..<upper : lower..<middle
            let last = distance * 2 == powerOfTwo
            exchange(sending: sums + given.lowerBound, count: given.count, receiving: kept.count, with: rank ^ distance,
                     incoming: incoming) { offset, received in
                if last {
                    let range = kept.lowerBound + offset..<kept.lowerBound + offset + received
                    convert(sums + range.lowerBound, incoming, range)
                } else {
                    add(incoming, into: sums + kept.lowerBound + offset, count: received)
                }
            }
            (lower, upper) = (kept.lowerBound, kept.upperBound)
            distance *= 2
        }
        return lower..<upper
    }

    /// Sends `sendCount` sums to `partner` while receiving `receiveCount` from it and adding them into
    /// `sums`, both in pieces of at most `pieceCount` through `incoming` (which holds one piece).
    private func exchangeAndAdd(sending outgoing: UnsafePointer<Int64>, count sendCount: Int,
                                receivingInto sums: UnsafeMutablePointer<Int64>, count receiveCount: Int, with partner: Int,
                                incoming: UnsafeMutablePointer<Int64>) {
        exchange(sending: outgoing, count: sendCount, receiving: receiveCount, with: partner, incoming: incoming) { offset, received in
            add(incoming, into: sums + offset, count: received)
        }
    }

    /// Sends `sendCount` values to `partner` while receiving `receiveCount` from it, both in pieces of at
    /// most `pieceCount`; each received piece is in `incoming` (which holds one) for
    /// `arrived(offset, count)`, its place in the received range.
    private func exchange<Element: MPIElement>(sending outgoing: UnsafePointer<Element>, count sendCount: Int, receiving receiveCount: Int,
                                               with partner: Int, incoming: UnsafeMutablePointer<Element>,
                                               arrived: (_ offset: Int, _ count: Int) -> Void) {
        var offset = 0
        while offset < max(sendCount, receiveCount) {
            let sending = max(min(Self.pieceCount, sendCount - offset), 0)
            let receiving = max(min(Self.pieceCount, receiveCount - offset), 0)
            exchange(send: outgoing + min(offset, sendCount), count: sending, receive: incoming, count: receiving, with: partner)
            if receiving > 0 { arrived(offset, receiving) }
            offset += Self.pieceCount
        }
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
