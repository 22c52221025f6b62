import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Facts about this process that do not need MPI.
package enum ProcessHost {
    package static var name: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        return string(fromNullTerminated: buffer)
    }

    package static var processorCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// The cores this process may run on (its CPU affinity: one under `mpirun --bind-to core`), or all
    /// of the host's where the mask cannot be read.
    package static var usableCoreCount: Int {
        // `Cpus_allowed:\tff,ffffffff` in /proc/self/status (Glibc's sched_getaffinity does not import).
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return processorCount }
        let count = line.dropFirst("Cpus_allowed:".count).reduce(0) { $0 + (Int(String($1), radix: 16)?.nonzeroBitCount ?? 0) }
        return count > 0 ? count : processorCount
    }

    /// Peak resident set size of this process, in bytes (Linux's `ru_maxrss` is in KiB).
    package static var peakResidentBytes: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}

/// What the launcher (mpirun, srun) tells a process through its environment, readable before MPI starts.
package enum LaunchEnvironment {
    private static func integer(_ names: [String]) -> Int? {
        for name in names {
            if let value = getenv(name), let number = Int(String(cString: value)) { return number }
        }
        return nil
    }

    /// This process's rank as the launcher numbered it, if it was started by one.
    package static var rank: Int? { integer(["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"]) }

    /// True when started by `mpirun`/`mpiexec` or by Slurm's `srun` with PMI/PMIx: then MPI is
    /// initialised. A plain `tandem train` runs as a single process without initialising MPI.
    package static var isUnderLauncher: Bool {
        integer(["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"]) != nil
    }
}

/// A Swift string from a NUL-terminated C character buffer.
func string(fromNullTerminated characters: some Collection<CChar>) -> String {
    String(decoding: characters.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

extension ProcessHost {
    /// The processor's model name from /proc/cpuinfo, or "unknown".
    package static var processorModel: String {
        guard let file = fopen("/proc/cpuinfo", "r") else { return "unknown" }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = string(fromNullTerminated: line)
            if text.hasPrefix("model name"), let colon = text.firstIndex(of: ":") {
                return String(text[text.index(after: colon)...]).trimmingWhitespace()
            }
        }
        return "unknown"
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
