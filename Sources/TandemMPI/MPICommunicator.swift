import CMPI
#if canImport(Glibc)
import Glibc
#endif

/// `MPI_COMM_WORLD` through Open MPI, started by `mpirun`/`srun`.
///
/// MPI calls that fail make Open MPI's default error handler abort the job, so results are not
/// checked one by one; the watchdog (`StallWatchdog`) covers the failure MPI cannot see, a peer
/// that stops answering.
package final class MPICommunicator: Communicator {
    package let rank: Int
    package let size: Int
    package let hostName: String
    package let hostNames: [String]
    /// Receive buffers of the tree allreduce and of block gradients (`allreduce(blockGradients:…)`).
    private let incoming = ReceiveBuffer<Int64>()
    private let incomingFloats = ReceiveBuffer<Float>()
    private var cachedPartition: (count: Int, counts: [Int32], displacements: [Int32])?
    private let watchdog: StallWatchdog?
    /// Whether this communicator initialised MPI, and so finalises it (a library's caller may have done both).
    private let initialisedMPI: Bool

    /// Initialises MPI unless the process already has. `stallTimeout` seconds in one collective end the job.
    package init(stallTimeout: Double?) {
        var initialised: Int32 = 0
        MPI_Initialized(&initialised)
        initialisedMPI = initialised == 0
        if initialisedMPI {
            var provided: Int32 = 0
            MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided)
        }
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(tandem_mpi_comm_world(), &rank)
        MPI_Comm_size(tandem_mpi_comm_world(), &size)
        self.rank = Int(rank)
        self.size = Int(size)

        var name = [CChar](repeating: 0, count: Int(MPI_MAX_PROCESSOR_NAME) + 1)
        var length: Int32 = 0
        MPI_Get_processor_name(&name, &length)
        let hostName = string(fromNullTerminated: name)
        self.hostName = hostName

        // Every rank's host name, in fixed 64-byte slots.
        let slot = 64
        var mine = [CChar](repeating: 0, count: slot)
        for (index, character) in hostName.utf8CString.prefix(slot - 1).enumerated() { mine[index] = character }
        var all = [CChar](repeating: 0, count: slot * Int(size))
        MPI_Allgather(&mine, Int32(slot), tandem_mpi_byte(), &all, Int32(slot), tandem_mpi_byte(), tandem_mpi_comm_world())
        hostNames = (0..<Int(size)).map { rank in
            string(fromNullTerminated: all[(rank * slot)..<((rank + 1) * slot)])
        }
        watchdog = stallTimeout.map { StallWatchdog(timeout: $0, rank: Int(rank), size: Int(size), hostName: hostName) }
    }

    var world: MPI_Comm { tandem_mpi_comm_world() }

    func receiveBuffer(count: Int) -> UnsafeMutablePointer<Int64> { incoming.pointer(count: count) }

    func floatReceiveBuffer(count: Int) -> UnsafeMutablePointer<Float> { incomingFloats.pointer(count: count) }

    private static let tag: Int32 = 7

    func send<Element: MPIElement>(_ buffer: UnsafePointer<Element>, count: Int, to destination: Int) {
        MPI_Send(buffer, Int32(count), Element.datatype, Int32(destination), Self.tag, world)
    }

    func receive<Element: MPIElement>(_ buffer: UnsafeMutablePointer<Element>, count: Int, from source: Int) {
        MPI_Recv(buffer, Int32(count), Element.datatype, Int32(source), Self.tag, world, nil)
    }

    /// Sends to and receives from `partner` at once (no deadlock whichever of the two is first).
    func exchange<Element: MPIElement>(send outgoing: UnsafePointer<Element>, count sendCount: Int,
                                       receive incoming: UnsafeMutablePointer<Element>, count receiveCount: Int, with partner: Int) {
        MPI_Sendrecv(outgoing, Int32(sendCount), Element.datatype, Int32(partner), Self.tag,
                     incoming, Int32(receiveCount), Element.datatype, Int32(partner), Self.tag, world, nil)
    }

    package func allreduce(exactSums sums: UnsafeMutablePointer<Int64>, count: Int, into result: UnsafeMutablePointer<Float>,
                           algorithm: AllreduceAlgorithm, convert: ExactSumConversion) {
        guard size > 1 else { return convert(sums, nil, 0..<count) }
        watchdog?.enter(.allreduce, count: count)
        defer { watchdog?.leave() }
        switch algorithm {
        case .mpi:
            let partition = self.partition(count: count)
            let owned = shardRange(count, part: rank, of: size)
            let incoming = receiveBuffer(count: owned.count)
            partition.counts.withUnsafeBufferPointer { counts in
                partition.displacements.withUnsafeBufferPointer { displacements in
                    MPI_Reduce_scatter(sums, incoming, counts.baseAddress, tandem_mpi_int64(), tandem_mpi_sum(), world)
                    convert(incoming, nil, owned)
                    MPI_Allgatherv(tandem_mpi_in_place(), 0, tandem_mpi_float(), result, counts.baseAddress,
                                   displacements.baseAddress, tandem_mpi_float(), world)
                }
            }
        case .tree, .treeDoubling, .treeHalving:
            treeAllreduce(exactSums: sums, count: count, into: result, algorithm: algorithm, convert: convert)
        }
    }

    package func addsBlockGradients(count: Int, algorithm: AllreduceAlgorithm) -> Bool {
        size == 2 && algorithm != .mpi && halves(count: count, algorithm: algorithm)
    }

    package func allreduce(blockGradients gradient: UnsafePointer<Float>, count: Int, into result: UnsafeMutablePointer<Float>,
                           algorithm: AllreduceAlgorithm, round: BlockGradientRounding, convert: ExactSumConversion) {
        precondition(addsBlockGradients(count: count, algorithm: algorithm), "block gradients are added by two ranks halving")
        watchdog?.enter(.allreduce, count: count)
        defer { watchdog?.leave() }
        pairAllreduce(blockGradients: gradient, count: count, into: result, round: round, convert: convert)
    }

    package func gatherShares(_ values: UnsafeMutablePointer<Float>, count: Int, algorithm: AllreduceAlgorithm) {
        guard size > 1 else { return }
        watchdog?.enter(.allreduce, count: count)
        defer { watchdog?.leave() }
        switch algorithm {
        case .mpi:
            let partition = self.partition(count: count)
            partition.counts.withUnsafeBufferPointer { counts in
                partition.displacements.withUnsafeBufferPointer { displacements in
                    _ = MPI_Allgatherv(tandem_mpi_in_place(), 0, tandem_mpi_float(), values, counts.baseAddress,
                                       displacements.baseAddress, tandem_mpi_float(), world)
                }
            }
        case .tree, .treeDoubling, .treeHalving:
            treeGatherShares(values, count: count, algorithm: algorithm)
        }
    }

    /// Each rank's share of a `count`-element buffer (counts and offsets for the MPI calls): computed
    /// for the first `count` asked, then kept, so that a training step allocates nothing.
    private func partition(count: Int) -> (counts: [Int32], displacements: [Int32]) {
        if let cached = cachedPartition, cached.count == count { return (cached.counts, cached.displacements) }
        let ranges = (0..<size).map { shardRange(count, part: $0, of: size) }
        cachedPartition = (count, ranges.map { Int32($0.count) }, ranges.map { Int32($0.lowerBound) })
        return (cachedPartition!.counts, cachedPartition!.displacements)
    }

    package func allreduceSum(_ values: UnsafeMutablePointer<Int64>, count: Int) {
        guard size > 1 else { return }
        watchdog?.enter(.statistics)
        defer { watchdog?.leave() }
        MPI_Allreduce(tandem_mpi_in_place(), values, Int32(count), tandem_mpi_int64(), tandem_mpi_sum(), world)
    }

    package func allreduceSum(_ values: inout [Double]) {
        guard size > 1 else { return }
        watchdog?.enter(.statistics)
        defer { watchdog?.leave() }
        let count = Int32(values.count)
        values.withUnsafeMutableBufferPointer {
            _ = MPI_Allreduce(tandem_mpi_in_place(), $0.baseAddress, count, tandem_mpi_double(), tandem_mpi_sum(), world)
        }
    }

    package func allreduceMinimumAndMaximum(_ value: Int64) -> (minimum: Int64, maximum: Int64) {
        watchdog?.enter(.checksum)
        defer { watchdog?.leave() }
        var input = value, minimum: Int64 = 0, maximum: Int64 = 0
        MPI_Allreduce(&input, &minimum, 1, tandem_mpi_int64(), tandem_mpi_min(), world)
        MPI_Allreduce(&input, &maximum, 1, tandem_mpi_int64(), tandem_mpi_max(), world)
        return (minimum, maximum)
    }

    package func broadcast(_ buffer: UnsafeMutableRawPointer, byteCount: Int, root: Int) {
        guard size > 1 else { return }
        watchdog?.enter(.broadcast, count: byteCount)
        defer { watchdog?.leave() }
        // MPI counts are 32-bit: send large buffers in pieces.
        let piece = 1 << 30
        var offset = 0
        while offset < byteCount {
            let length = min(piece, byteCount - offset)
            MPI_Bcast(buffer + offset, Int32(length), tandem_mpi_byte(), Int32(root), world)
            offset += length
        }
    }

    package func barrierWithoutStallWatch() { MPI_Barrier(world) }

    package func barrier() {
        watchdog?.enter(.barrier)
        defer { watchdog?.leave() }
        MPI_Barrier(world)
    }

    package func abort(code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }

    package func finalize() {
        watchdog?.stop()
        if initialisedMPI { MPI_Finalize() }
    }
}

/// A type MPI can send: its `MPI_Datatype`.
protocol MPIElement {
    static var datatype: MPI_Datatype { get }
}

extension Int64: MPIElement {
    static var datatype: MPI_Datatype { tandem_mpi_int64() }
}

extension Float: MPIElement {
    static var datatype: MPI_Datatype { tandem_mpi_float() }
}

/// `buffer += incoming`, element by element, in groups of 8 so that it vectorises. Wrapping adds:
/// the fixed-point format keeps every sum in range, so no addition ever wraps.
@inline(__always)
func add(_ incoming: UnsafePointer<Int64>, into buffer: UnsafeMutablePointer<Int64>, count: Int) {
    var index = 0
    while index + 8 <= count {
        let sum = UnsafeRawPointer(buffer + index).loadUnaligned(as: SIMD8<Int64>.self)
            &+ UnsafeRawPointer(incoming + index).loadUnaligned(as: SIMD8<Int64>.self)
        UnsafeMutableRawPointer(buffer + index).storeBytes(of: sum, as: SIMD8<Int64>.self)
        index += 8
    }
    while index < count {
        buffer[index] &+= incoming[index]
        index += 1
    }
}

/// A receive buffer allocated on first use and grown when a larger message comes, then kept: the
/// step loop's exchanges allocate nothing once warm.
private final class ReceiveBuffer<Element> {
    private var storage: UnsafeMutablePointer<Element>?
    private var capacity = 0

    func pointer(count: Int) -> UnsafeMutablePointer<Element> {
        if let storage, capacity >= count { return storage }
        storage?.deallocate()
        capacity = max(count, 1)   // a rank's share may be empty
        let buffer = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
        storage = buffer
        return buffer
    }

    deinit { storage?.deallocate() }
}
