// The kernels for x86-64 processors with AVX2 (Intel since 2013, every AMD Zen).
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#define KERNEL_TABLE tandem_avx2_kernels
#include "KernelBodies.h"
#pragma clang attribute pop
#endif
