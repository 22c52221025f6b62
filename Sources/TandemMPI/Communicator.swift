#if canImport(Glibc)
import Glibc
#endif

/// How the fixed-point sums (gradients, loss, accuracy, evaluation counts) are added across ranks.
///
/// The sums are 64-bit integers (see `FixedPointFormat`), and integer addition is associative: every
/// algorithm, at every rank count, gives the same bits. They differ only in speed.
package enum AllreduceAlgorithm: String, Sendable, CaseIterable {
    /// `MPI_Reduce_scatter` (`MPI_SUM` on `MPI_INT64_T`), then `MPI_Allgatherv` of the floats: the MPI
    /// library's own schedules (on a cluster, the interconnect's tuned or offloaded paths).
    case mpi
    /// `treeDoubling` for messages under 32 KB, `treeHalving` otherwise.
    case tree
    /// Recursive doubling of the sums over `MPI_Sendrecv`: log₂N exchanges of the whole `Int64` buffer.
    /// Fewest messages.
    case treeDoubling = "tree-doubling"
    /// Recursive halving of the sums (a reduce-scatter), then recursive doubling of the floats (an
    /// allgather): 2·log₂N messages, (N−1)/N of the sums and (N−1)/N of the floats sent, so 1.5 times
    /// the bytes of a float gradient's reduce-scatter and allgather, where doubling sends 2·log₂N times.
    case treeHalving = "tree-halving"
}

/// `convert(first, second, range)` of `Communicator.allreduce(exactSums:…)`: the exact sums of elements
/// `range` are `first[i] + (second?[i] ?? 0)`.
package typealias ExactSumConversion = (_ first: UnsafePointer<Int64>, _ second: UnsafePointer<Int64>?, _ range: Range<Int>) -> Void

/// `round(first, second, count, sums)` of `Communicator.allreduce(blockGradients:…)`: `sums[i]` becomes the
/// exact sum of two micro-batches' gradients `first[i]` and `second[i]`, each rounded once to fixed point.
package typealias BlockGradientRounding = (_ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>, _ count: Int,
                                           _ sums: UnsafeMutablePointer<Int64>) -> Void

/// The collective operations training needs. All ranks must make the same calls in the same order.
package protocol Communicator: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// This process's host name, as MPI reports it.
    var hostName: String { get }
    /// Every rank's host name, by rank.
    var hostNames: [String] { get }

    /// Adds every rank's `count` fixed-point sums exactly and gives every rank the floats they make.
    ///
    /// The ranks first share out the work of adding (a reduce-scatter of the `Int64`s, or a full
    /// allreduce of them for small messages): each rank ends with the exact sums of its share (the same
    /// part for every call with this count and algorithm; none on a rank the schedule folds into
    /// another). `convert` then turns the exact sums of elements `range` of its
    /// share into `result[range]` — the summed gradient, or the weights an optimizer step makes of it —
    /// once for each part of the share (in as many calls as the schedule has pieces), and each rank's
    /// `result[share]` is copied to every rank (an allgather of half the bytes of the sums). The sums of
    /// `range` come as `first[i] + (second?[i] ?? 0)` for `i` in `0..<range.count`: the schedule may
    /// hand over the last addition, so that it is done in the pass that reads them anyway. `convert` is
    /// the same function of the same integers on every rank, so every rank gets the same bits. `sums`
    /// is overwritten with partial results.
    func allreduce(exactSums sums: UnsafeMutablePointer<Int64>, count: Int, into result: UnsafeMutablePointer<Float>,
                   algorithm: AllreduceAlgorithm, convert: ExactSumConversion)
    /// Whether `allreduce(blockGradients:…)` can add `count` elements with `algorithm` (where its
    /// reduce-scatter is one exchange: two ranks, halving).
    func addsBlockGradients(count: Int, algorithm: AllreduceAlgorithm) -> Bool
    /// `allreduce(exactSums:…)` for ranks that each hold one micro-batch's gradient as floats (zeros for
    /// a rank without one), every value in the fixed-point range: each rank sends the other the floats of
    /// the other's share, half the bytes of their sums, and `round` makes the exact sums of its own
    /// share as they arrive. Rounding is a function of the float alone, so the sums, and every bit of
    /// the result, are those `allreduce(exactSums:…)` gives for the same micro-batches. Only where
    /// `addsBlockGradients` is true.
    func allreduce(blockGradients gradient: UnsafePointer<Float>, count: Int, into result: UnsafeMutablePointer<Float>,
                   algorithm: AllreduceAlgorithm, round: BlockGradientRounding, convert: ExactSumConversion)
    /// Gives every rank every element of `values` from the rank whose share it is (for state that
    /// `convert` keeps only for its share, such as the optimiser's moments). Collective.
    func gatherShares(_ values: UnsafeMutablePointer<Float>, count: Int, algorithm: AllreduceAlgorithm)
    /// Sums a few integers (counts, fixed-point sums) across ranks, in place, by `MPI_Allreduce`.
    func allreduceSum(_ values: UnsafeMutablePointer<Int64>, count: Int)
    /// Sums a few doubles across ranks, in place: measurements (timings, memory), never training results,
    /// since a float sum across ranks depends on their number.
    func allreduceSum(_ values: inout [Double])
    /// The smallest and largest of one value across ranks (e.g. a checksum every rank must agree on).
    func allreduceMinimumAndMaximum(_ value: Int64) -> (minimum: Int64, maximum: Int64)
    /// Copies `byteCount` bytes from `root` to every rank.
    func broadcast(_ buffer: UnsafeMutableRawPointer, byteCount: Int, root: Int)
    func barrier()
    /// A barrier the stall watchdog does not time: for ranks that wait on another's long, legitimate
    /// work (decoding a folder of pictures into its cache).
    func barrierWithoutStallWatch()
    /// Ends every rank of the job with `code`. Call only through `Fatal`, after the message is printed.
    func abort(code: Int32) -> Never
    /// Orderly shutdown at the end of a successful run.
    func finalize()
}

/// Splits `count` items into `parts` contiguous shards as evenly as possible (the first
/// `count % parts` shards get one more): a global batch across ranks, the test set, an allreduce's work.
package func shardRange(_ count: Int, part: Int, of parts: Int) -> Range<Int> {
    let base = count / parts, extra = count % parts
    let start = part * base + min(part, extra)
    return start..<start + base + (part < extra ? 1 : 0)
}

extension Communicator {
    /// Broadcasts a value of trivial type (an integer, a fixed-size struct).
    package func broadcast<Value: BitwiseCopyable>(_ value: inout Value, root: Int) {
        withUnsafeMutableBytes(of: &value) { broadcast($0.baseAddress!, byteCount: $0.count, root: root) }
    }

    package var isRoot: Bool { rank == 0 }
}

/// A job of one process: every collective is the identity.
package final class SingleProcessCommunicator: Communicator {
    package let hostName: String

    package init() {
        hostName = ProcessHost.name
    }

    package var rank: Int { 0 }
    package var size: Int { 1 }
    package var hostNames: [String] { [hostName] }
    package func allreduce(exactSums sums: UnsafeMutablePointer<Int64>, count: Int, into result: UnsafeMutablePointer<Float>,
                           algorithm: AllreduceAlgorithm, convert: ExactSumConversion) {
        convert(sums, nil, 0..<count)
    }
    package func addsBlockGradients(count: Int, algorithm: AllreduceAlgorithm) -> Bool { false }
    package func allreduce(blockGradients gradient: UnsafePointer<Float>, count: Int, into result: UnsafeMutablePointer<Float>,
                           algorithm: AllreduceAlgorithm, round: BlockGradientRounding, convert: ExactSumConversion) {
        preconditionFailure("one process adds no block gradients: addsBlockGradients is false")
    }
    package func gatherShares(_ values: UnsafeMutablePointer<Float>, count: Int, algorithm: AllreduceAlgorithm) {}
    package func allreduceSum(_ values: UnsafeMutablePointer<Int64>, count: Int) {}
    package func allreduceSum(_ values: inout [Double]) {}
    package func allreduceMinimumAndMaximum(_ value: Int64) -> (minimum: Int64, maximum: Int64) { (value, value) }
    package func broadcast(_ buffer: UnsafeMutableRawPointer, byteCount: Int, root: Int) {}
    package func barrier() {}
    package func barrierWithoutStallWatch() {}
    package func abort(code: Int32) -> Never { exit(code) }
    package func finalize() {}
}

extension Communicator {
    /// Broadcasts a string of any length from `root`.
    package func broadcast(string: inout String, root: Int) {
        var bytes = Array(string.utf8)
        var count = bytes.count
        broadcast(&count, root: root)
        if rank != root { bytes = [UInt8](repeating: 0, count: count) }
        bytes.withUnsafeMutableBytes { if count > 0 { broadcast($0.baseAddress!, byteCount: count, root: root) } }
        string = String(decoding: bytes, as: UTF8.self)
    }
}
