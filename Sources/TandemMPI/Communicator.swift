#if canImport(Glibc)
import Glibc
#endif

/// How the gradient buffer is summed across ranks.
///
/// The three `tree` kinds add in one fixed pairwise tree: ranks at distance 1 first, then 2, 4, …
/// So each element's sum is the same tree of additions at any power-of-two rank count — and, with the
/// per-sample tree inside each rank, the same tree over all samples — and the three give the same bits.
public enum AllreduceAlgorithm: String, Sendable, CaseIterable {
    /// `treeDoubling` for small messages or two ranks, `treeHalving` otherwise.
    case tree
    /// Recursive doubling over `MPI_Sendrecv`: log₂N exchanges of the whole buffer. Fewest messages.
    case treeDoubling = "tree-doubling"
    /// Recursive halving (a reduce-scatter), then recursive doubling (an allgather): 2·log₂N messages
    /// but only 2(N−1)/N of the buffer sent, so less time on the wire from 4 ranks on.
    case treeHalving = "tree-halving"
    /// `MPI_Allreduce`: whatever order the MPI library chooses (may differ between rank counts,
    /// message sizes and library versions).
    case mpi

    public var isFixedOrder: Bool { self != .mpi }
}

/// The collective operations training needs. All ranks must make the same calls in the same order.
public protocol Communicator: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// This process's host name, as MPI reports it.
    var hostName: String { get }
    /// Every rank's host name, by rank.
    var hostNames: [String] { get }

    /// Sums `count` floats across ranks, in place, by `algorithm`.
    func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int, algorithm: AllreduceAlgorithm)
    /// Sums a few doubles across ranks, in place (statistics, not gradients).
    func allreduceSum(_ values: inout [Double])
    /// The smallest and largest of one value across ranks (e.g. a checksum every rank must agree on).
    func allreduceMinimumAndMaximum(_ value: Int64) -> (minimum: Int64, maximum: Int64)
    /// Copies `byteCount` bytes from `root` to every rank.
    func broadcast(_ buffer: UnsafeMutableRawPointer, byteCount: Int, root: Int)
    /// Collects `counts[r]` floats from each rank `r` into `destination` on `root`, in rank order.
    func gather(_ values: UnsafeBufferPointer<Float>, counts: [Int], into destination: UnsafeMutablePointer<Float>?, root: Int)
    func barrier()
    /// Ends every rank of the job with `code`. Call only through `Fatal`, after the message is printed.
    func abort(code: Int32) -> Never
    /// Orderly shutdown at the end of a successful run.
    func finalize()
}

extension Communicator {
    /// Broadcasts a value of trivial type (an integer, a fixed-size struct).
    public func broadcast<Value: BitwiseCopyable>(_ value: inout Value, root: Int) {
        withUnsafeMutableBytes(of: &value) { broadcast($0.baseAddress!, byteCount: $0.count, root: root) }
    }

    public var isRoot: Bool { rank == 0 }
}

/// A job of one process: every collective is the identity.
public final class SingleProcessCommunicator: Communicator {
    public let hostName: String

    public init() {
        hostName = ProcessHost.name
    }

    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var hostNames: [String] { [hostName] }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int, algorithm: AllreduceAlgorithm) {}
    public func allreduceSum(_ values: inout [Double]) {}
    public func allreduceMinimumAndMaximum(_ value: Int64) -> (minimum: Int64, maximum: Int64) { (value, value) }
    public func broadcast(_ buffer: UnsafeMutableRawPointer, byteCount: Int, root: Int) {}
    public func gather(_ values: UnsafeBufferPointer<Float>, counts: [Int], into destination: UnsafeMutablePointer<Float>?, root: Int) {
        destination?.update(from: values.baseAddress!, count: values.count)
    }
    public func barrier() {}
    public func abort(code: Int32) -> Never { exit(code) }
    public func finalize() {}
}
