import Foundation
import TandemMPI

/// What the integration tests need: Open MPI's launcher and the real dataset.
enum IntegrationEnvironment {
    static let ready = FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun")
        && FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
}

/// Runs the real `tandem` binary, alone or under a real `mpirun`, and collects what it printed.
struct TandemProcess {
    struct Outcome {
        let status: Int32
        let standardOutput: String
        let standardError: String
        let seconds: Double
        let timedOut: Bool
        var lines: [String] { standardOutput.split(separator: "\n").map(String.init) }
        var errorLines: [String] { standardError.split(separator: "\n").map(String.init) }
        /// The value of the last `parameters sha256:` line.
        var digest: String? {
            lines.last { $0.hasPrefix("parameters sha256: ") }.map { String($0.dropFirst("parameters sha256: ".count)) }
        }
    }

    /// The `tandem` built beside this test binary (both are products of the same build).
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["TANDEM_BINARY"] { return path }
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("tandem").path
    }()

    static let cores = ProcessHost.processorCount

    /// The environment for a child job: the inherited one without anything an MPI launcher set
    /// (a test process that inherited OMPI_*/PMIX_* would make the child mpirun fail silently),
    /// plus what running as root and one BLAS thread per rank need.
    static var childEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { name, _ in
            !["OMPI_", "PMIX_", "ORTE_", "PMI_", "OPAL_"].contains { name.hasPrefix($0) }
        }
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        return environment
    }

    /// `mpirun -np ranks tandem arguments…`, oversubscribed and yielding when ranks outnumber cores.
    static func mpirun(ranks: Int, _ arguments: [String], timeout: Double = 240, environment: [String: String] = [:]) -> Outcome {
        run("/usr/bin/mpirun", mpirunOptions(ranks: ranks) + [binary] + arguments, timeout: timeout, environment: environment)
    }

    static func mpirunOptions(ranks: Int) -> [String] {
        var options = ["-np", "\(ranks)", "--mca", "btl", "self,vader"]
        if ranks > cores { options += ["--oversubscribe", "--mca", "mpi_yield_when_idle", "1"] }
        return options
    }

    static func tandem(_ arguments: [String], timeout: Double = 240) -> Outcome {
        run(binary, arguments, timeout: timeout)
    }

    /// Starts `executable` and waits for it (terminating it after `timeout` seconds); `whileRunning`
    /// is called once the process has started.
    /// `environment` is added to `childEnvironment`.
    static func run(_ executable: String, _ arguments: [String], timeout: Double, environment: [String: String] = [:],
                    whileRunning: ((Process) -> Void)? = nil) -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = childEnvironment.merging(environment) { $1 }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let collected = Collected()
        output.fileHandleForReading.readabilityHandler = { collected.append(output: $0.availableData) }
        error.fileHandleForReading.readabilityHandler = { collected.append(error: $0.availableData) }
        let start = Date()
        do { try process.run() } catch {
            return Outcome(status: -1, standardOutput: "", standardError: "cannot start \(executable): \(error)", seconds: 0, timedOut: false)
        }
        whileRunning?(process)
        var timedOut = false
        while process.isRunning {
            if Date().timeIntervalSince(start) > timeout {
                timedOut = true
                process.terminate()   // mpirun passes SIGTERM on to its ranks
                for _ in 0..<250 where process.isRunning { usleep(20_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            usleep(20_000)
        }
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        output.fileHandleForReading.readabilityHandler = nil
        error.fileHandleForReading.readabilityHandler = nil
        collected.append(output: output.fileHandleForReading.readDataToEndOfFile())
        collected.append(error: error.fileHandleForReading.readDataToEndOfFile())
        return Outcome(status: process.terminationStatus, standardOutput: collected.output, standardError: collected.error,
                       seconds: seconds, timedOut: timedOut)
    }

    /// Output gathered from pipe callbacks on other threads.
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var outputData = Data(), errorData = Data()
        func append(output data: Data) { lock.lock(); outputData.append(data); lock.unlock() }
        func append(error data: Data) { lock.lock(); errorData.append(data); lock.unlock() }
        var output: String { lock.lock(); defer { lock.unlock() }; return String(decoding: outputData, as: UTF8.self) }
        var error: String { lock.lock(); defer { lock.unlock() }; return String(decoding: errorData, as: UTF8.self) }
    }

    /// A fresh directory for one test's files.
    static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-it-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
