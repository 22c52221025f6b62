// The CPU the Swift modules were compiled for (TANDEM_TARGET_CPU), and a check at load time that this
// processor has what that needs. Compiled as plain C for any x86-64, unlike the Swift modules.
#ifndef TANDEM_CPU_H
#define TANDEM_CPU_H

// The `-target-cpu` the Swift modules were built with: "haswell", "x86-64", "native", …
const char *tandem_target_cpu(void);

// What a processor with these features lacks for code built for `target` ("AVX2, FMA or BMI2",
// "AVX-512"), or NULL if nothing (or if `target` is not one the check knows: x86-64, native).
const char *tandem_cpu_missing(const char *target, int avx2, int fma, int bmi2, int avx512f);

#endif
