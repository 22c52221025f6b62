// The kernels for x86-64 processors with AVX-512 (F, VL, BW, DQ: Intel Skylake-SP and later, AMD Zen 4).
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,evex512"))), apply_to = function)
#define KERNEL_TABLE tandem_avx512_kernels
#include "KernelBodies.h"
#pragma clang attribute pop
#endif
