#include "tandem_cpu.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TANDEM_TARGET_CPU
#define TANDEM_TARGET_CPU "unknown"
#endif

const char *tandem_target_cpu(void) { return TANDEM_TARGET_CPU; }

static int named(const char *target, const char *const *names) {
    for (; *names; names++) {
        if (strcmp(target, *names) == 0) return 1;
    }
    return 0;
}

const char *tandem_cpu_missing(const char *target, int avx2, int fma, int bmi2, int avx512f) {
    static const char *const avx2_cpus[] = {"haswell", "broadwell", "skylake", "znver1", "znver2", "znver3", NULL};
    static const char *const avx512_cpus[] = {"skylake-avx512", "cascadelake", "icelake-server", "sapphirerapids", "znver4", NULL};
    int needs_avx512 = named(target, avx512_cpus);
    if (!needs_avx512 && !named(target, avx2_cpus)) return NULL;
    if (!(avx2 && fma && bmi2)) return "AVX2, FMA or BMI2";
    if (needs_avx512 && !avx512f) return "AVX-512";
    return NULL;
}

#if defined(__x86_64__)
// Runs before main, before any Swift code compiled for the target CPU: on a processor without the
// instructions that CPU has, one line and exit status 1 instead of an illegal instruction somewhere in
// the first step.
__attribute__((constructor)) static void tandem_check_cpu(void) {
    __builtin_cpu_init();
    const char *missing = tandem_cpu_missing(TANDEM_TARGET_CPU, __builtin_cpu_supports("avx2"), __builtin_cpu_supports("fma"),
                                             __builtin_cpu_supports("bmi2"), __builtin_cpu_supports("avx512f"));
    if (missing) {
        fprintf(stderr, "tandem: error: this binary was built for %s CPUs (TANDEM_TARGET_CPU) and this processor lacks %s; "
                        "rebuild it for any x86-64 with TANDEM_TARGET_CPU=x86-64 swift build -c release\n",
                TANDEM_TARGET_CPU, missing);
        exit(1);
    }
}
#endif
