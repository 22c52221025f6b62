import CTandemKernels

/// Which CPU level's vector kernels run (the Winograd transforms and the fixed-point conversion, in
/// CTandemKernels): the widest the processor has, unless `TANDEM_KERNELS` names another.
///
/// Every level gives the same bits, so the level only changes speed: ranks on processors of different
/// kinds still agree, and a checkpoint resumes identically on another machine.
package enum KernelLevel: String, CaseIterable, Sendable {
    /// SSE2 on x86-64 (any x86-64 processor); the only level on other architectures (not tested there).
    case portable
    /// 256-bit registers: Intel since Haswell (2013), every AMD Zen.
    case avx2
    /// 512-bit registers (F, VL, BW, DQ): Intel Skylake-SP and later, AMD Zen 4 and later.
    case avx512

    private var cLevel: TandemKernelLevel {
        switch self {
        case .portable: TandemKernelLevelPortable
        case .avx2: TandemKernelLevelAVX2
        case .avx512: TandemKernelLevelAVX512
        }
    }

    /// The level in use.
    package static var current: KernelLevel {
        allCases.first { $0.cLevel == tandem_kernels_level() } ?? .portable
    }

    /// Whether this processor can run the level's kernels.
    package var isSupported: Bool { tandem_kernels_supported(cLevel) != 0 }

    /// Makes this level the one in use, for tests and benchmarks that compare levels in one process;
    /// false (nothing changes) if the processor cannot run it. Call it while no kernel runs.
    @discardableResult
    package func use() -> Bool { tandem_kernels_use(cLevel) != 0 }

    /// Why `TANDEM_KERNELS` was not followed (an unknown name, or a level this processor cannot run):
    /// the program should refuse to start rather than measure or train at a level nobody asked for.
    package static var environmentProblem: String? { tandem_kernels_environment_problem().map { String(cString: $0) } }

    /// For the start-up report: the level, and how it was chosen.
    package static var summary: String {
        let supported = allCases.filter(\.isSupported).map(\.rawValue).joined(separator: ", ")
        return "\(current.rawValue) vector kernels (this CPU runs \(supported); TANDEM_KERNELS to choose)"
    }
}
