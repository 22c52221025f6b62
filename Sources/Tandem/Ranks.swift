import TandemMPI

/// The processes a job runs on: every rank an MPI launcher started, or this process alone. Make one
/// yourself to run several jobs in one MPI process (MPI is finalised once, by `finalize()`).
public final class Ranks: @unchecked Sendable {
    let communicator: Communicator

    private init(_ communicator: Communicator) { self.communicator = communicator }

    /// MPI's world when the process was started by a launcher (mpirun, srun; MPI initialised here unless
    /// the caller has), else this process alone.
    public static func launched() -> Ranks {
        Ranks(LaunchEnvironment.isUnderLauncher ? MPICommunicator(stallTimeout: nil) : SingleProcessCommunicator())
    }

    /// This process alone, even under a launcher.
    public static func alone() -> Ranks { Ranks(SingleProcessCommunicator()) }

    /// This process's rank, from 0.
    public var rank: Int { communicator.rank }
    /// The number of ranks.
    public var count: Int { communicator.size }

    /// Ends MPI (if these are MPI's ranks): call it once, after the last job.
    public func finalize() { communicator.finalize() }
}
