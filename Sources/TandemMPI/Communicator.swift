#if canImport(Glibc)
import Glibc
#endif

/// How the fixed-point sums (gradients, loss, accuracy, evaluation counts) are added across ranks.
///
/// The sums are 64-bit integers (see `FixedPointFormat`), and integer addition is associative: every
/// algorithm, at every rank count, gives the same bits. They differ only in speed.
public enum AllreduceAlgorithm: String, Sendable, CaseIterable {
    /// `MPI_Allreduce` with `MPI_SUM` on `MPI_INT64_T`: the MPI library's own schedule (on a cluster,
    /// the interconnect's tuned or offloaded path).
    case mpi
    /// `treeDoubling` for small messages or two ranks, `treeHalving` otherwise.
    case tree
    /// Recursive doubling over `MPI_Sendrecv`: log₂N exchanges of the whole buffer. Fewest messages.
    case treeDoubling = "tree-doubling"
    /// Recursive halving (a reduce-scatter), then recursive doubling (an allgather): 2·log₂N messages
    /// but only 2(N−1)/N of the buffer sent, so less time on the wire from 4 ranks on.
    case treeHalving = "tree-halving"
}

/// The collective operations training needs. All ranks must make the same calls in the same order.
public protocol Communicator: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// This process's host name, as MPI reports it.
    var hostName: String { get }
    /// Every rank's host name, by rank.
    var hostNames: [String] { get }

    /// Sums `count` fixed-point integers across ranks, in place, by `algorithm`.
    func allreduceSum(_ buffer: UnsafeMutablePointer<Int64>, count: Int, algorithm: AllreduceAlgorithm)
    /// Sums a few doubles across ranks, in place: measurements (timings, memory), never training results,
    /// since a float sum across ranks depends on their number.
    func allreduceSum(_ values: inout [Double])
    /// The smallest and largest of one value across ranks (e.g. a checksum every rank must agree on).
    func allreduceMinimumAndMaximum(_ value: Int64) -> (minimum: Int64, maximum: Int64)
    /// Copies `byteCount` bytes from `root` to every rank.
    func broadcast(_ buffer: UnsafeMutableRawPointer, byteCount: Int, root: Int)
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
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Int64>, count: Int, algorithm: AllreduceAlgorithm) {}
    public func allreduceSum(_ values: inout [Double]) {}
    public func allreduceMinimumAndMaximum(_ value: Int64) -> (minimum: Int64, maximum: Int64) { (value, value) }
    public func broadcast(_ buffer: UnsafeMutableRawPointer, byteCount: Int, root: Int) {}
    public func barrier() {}
    public func abort(code: Int32) -> Never { exit(code) }
    public func finalize() {}
}
