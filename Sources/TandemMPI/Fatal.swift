#if canImport(Glibc)
import Glibc
#endif

/// The one way a rank gives up: say who, where and what on standard error, then end the whole job.
///
/// Under MPI, `MPI_Abort` makes `mpirun` kill every rank and exit non-zero, so no rank is ever left
/// waiting in a collective for one that has gone.
package enum Fatal {
    /// `rank r/N on HOST: message`, the prefix every fatal line carries.
    package static func line(_ message: String, communicator: Communicator) -> String {
        "rank \(communicator.rank)/\(communicator.size) on \(communicator.hostName): \(message)"
    }

    package static func fail(_ message: String, communicator: Communicator, code: Int32 = 1) -> Never {
        fflush(nil)
        StandardError.write("tandem: " + line(message, communicator: communicator))
        communicator.abort(code: code)
    }
}
