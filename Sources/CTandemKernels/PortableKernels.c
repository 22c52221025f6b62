// The kernels for any CPU of the architecture (SSE2 on x86-64).
#define KERNEL_TABLE tandem_portable_kernels
#include "KernelBodies.h"
