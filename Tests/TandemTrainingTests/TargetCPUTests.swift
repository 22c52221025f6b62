import CTandemCPU
import Testing

/// A binary built for a CPU that this processor is not says so before main, instead of dying with an
/// illegal instruction: the decision, for processors with and without the features.
struct TargetCPUTests {
    func missing(_ target: String, avx2: Bool = true, fma: Bool = true, bmi2: Bool = true, avx512: Bool = true) -> String? {
        tandem_cpu_missing(target, avx2 ? 1 : 0, fma ? 1 : 0, bmi2 ? 1 : 0, avx512 ? 1 : 0).map { String(cString: $0) }
    }

    @Test("haswell needs AVX2, FMA and BMI2; the AVX-512 CPUs AVX-512F too; x86-64 and native need nothing")
    func decisions() {
        #expect(missing("haswell", avx512: false) == nil)
        #expect(missing("haswell", avx2: false) == "AVX2, FMA or BMI2")
        #expect(missing("haswell", fma: false) == "AVX2, FMA or BMI2")
        #expect(missing("skylake-avx512", avx512: false) == "AVX-512")
        #expect(missing("skylake-avx512") == nil)
        #expect(missing("x86-64", avx2: false, fma: false, bmi2: false, avx512: false) == nil)
        #expect(missing("native", avx2: false) == nil)
    }

}
