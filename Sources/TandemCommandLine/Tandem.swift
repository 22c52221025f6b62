import ArgumentParser
import TandemMPI
#if canImport(Glibc)
import Glibc
#endif

@main
struct Tandem: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Data-parallel CNN training on MPI: the same weights, bit for bit, at any rank count.",
        discussion: """
            Run it alone (`tandem train`) or as N ranks (`mpirun -np N tandem train`). The batch size is the \
            global batch, split across ranks. See Docs/ for how it works and how to run it on a cluster.
            """,
        subcommands: [TrainCommand.self, EvaluateCommand.self, PredictCommand.self, ExportCommand.self, PlotCommand.self, BenchCommand.self, SummaryCommand.self],
        defaultSubcommand: nil)

    /// Parses and runs like `ParsableCommand.main()`, except that under `mpirun` only rank 0 prints a
    /// usage error: every rank parses the same arguments and fails the same way, and one message is enough.
    /// Any other error that reaches here on another rank may be that rank's alone (start-up failures are
    /// agreed on and reported before this), so it names its rank rather than end the job silently.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let rank = LaunchEnvironment.rank ?? 0
            if rank == 0 { exit(withError: error) }
            let code = exitCode(for: error)
            if code == .failure {
                StandardError.write("tandem: rank \(rank): error: \(fullMessage(for: error))")
            } else {
                // mpirun ends the job at the first non-zero exit: leave rank 0 the time to print the line.
                sleep(2)
            }
            Glibc.exit(code.rawValue)
        }
    }
}
