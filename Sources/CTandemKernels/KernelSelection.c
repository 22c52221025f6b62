// Which level's kernels run: chosen once, before main, from what the processor has (cpuid) and
// TANDEM_KERNELS; every public kernel calls through the chosen table.
#include "KernelTable.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {"portable", "avx2", "avx512"};
static const KernelTable *active = &tandem_portable_kernels;
static TandemKernelLevel activeLevel = TandemKernelLevelPortable;
static char environmentProblem[160];

const char *tandem_kernels_name(TandemKernelLevel level) {
    return level >= TandemKernelLevelPortable && level <= TandemKernelLevelAVX512 ? names[level] : "unknown";
}

int tandem_kernels_supported(TandemKernelLevel level) {
    switch (level) {
    case TandemKernelLevelPortable: return 1;
#if defined(__x86_64__)
    case TandemKernelLevelAVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    case TandemKernelLevelAVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512dq");
#endif
    default: return 0;
    }
}

int tandem_kernels_use(TandemKernelLevel level) {
    if (!tandem_kernels_supported(level)) return 0;
    switch (level) {
#if defined(__x86_64__)
    case TandemKernelLevelAVX2: active = &tandem_avx2_kernels; break;
    case TandemKernelLevelAVX512: active = &tandem_avx512_kernels; break;
#endif
    default: active = &tandem_portable_kernels; break;
    }
    activeLevel = level;
    return 1;
}

TandemKernelLevel tandem_kernels_level(void) { return activeLevel; }

const char *tandem_kernels_environment_problem(void) { return environmentProblem[0] ? environmentProblem : NULL; }

// Before main, so that no kernel has run yet: the widest level, unless TANDEM_KERNELS names another
// this processor has. A name it cannot follow leaves the widest level in use (every level gives the
// same bits) and is kept for the program to report.
__attribute__((constructor)) static void tandem_kernels_choose(void) {
    TandemKernelLevel widest = TandemKernelLevelPortable;
    for (int level = TandemKernelLevelAVX512; level > TandemKernelLevelPortable; level--) {
        if (tandem_kernels_supported((TandemKernelLevel)level)) { widest = (TandemKernelLevel)level; break; }
    }
    tandem_kernels_use(widest);
    const char *requested = getenv("TANDEM_KERNELS");
    if (!requested || !*requested) return;
    for (int level = TandemKernelLevelPortable; level <= TandemKernelLevelAVX512; level++) {
        if (strcmp(requested, names[level]) != 0) continue;
        if (!tandem_kernels_use((TandemKernelLevel)level)) {
            snprintf(environmentProblem, sizeof environmentProblem, "TANDEM_KERNELS=%s: this processor cannot run the %s kernels",
                     requested, names[level]);
        }
        return;
    }
    snprintf(environmentProblem, sizeof environmentProblem,
             "TANDEM_KERNELS=%.40s is not a kernel level (portable, avx2 or avx512)", requested);
}

void tandem_winograd_input(int tile, const float *padded, long paddedWidth, long tileRows, long tileColumns, long channels,
                           float *transformed, long elementStride) {
    active->winograd_input(tile, padded, paddedWidth, tileRows, tileColumns, channels, transformed, elementStride);
}

void tandem_winograd_output(int tile, const float *products, long elementStride, long tileRows, long tileColumns, float *plane,
                            long height, long width, long channels, const float *bias, int relu) {
    active->winograd_output(tile, products, elementStride, tileRows, tileColumns, plane, height, width, channels, bias, relu);
}

void tandem_winograd_output_gradient(int tile, const float *plane, long height, long width, long channels, long tileRows,
                                     long tileColumns, float *transformed, long elementStride) {
    active->winograd_output_gradient(tile, plane, height, width, channels, tileRows, tileColumns, transformed, elementStride);
}

void tandem_winograd_kernel(int tile, const float *kernel, long tapStride, int rotated, float *transformed, long elementStride,
                            long channels) {
    active->winograd_kernel(tile, kernel, tapStride, rotated, transformed, elementStride, channels);
}

void tandem_winograd_kernel_gradient(int tile, const float *transformed, long elementStride, float *kernelGradient,
                                     long tapStride, long channels) {
    active->winograd_kernel_gradient(tile, transformed, elementStride, kernelGradient, tapStride, channels);
}

int tandem_fixed_point_round(const float *values, long count, int64_t *sums, double scale, double limit, int adding) {
    return active->fixed_point_round(values, count, sums, scale, limit, adding);
}

void tandem_fixed_point_values(const int64_t *first, const int64_t *second, long count, double inverseScale, float *values) {
    active->fixed_point_values(first, second, count, inverseScale, values);
}

int tandem_fixed_point_check(const float *values, long count, float *copy, float limit) {
    return active->fixed_point_check(values, count, copy, limit);
}

void tandem_optimizer_update(const TandemOptimizerStep *step, float *theta, float *m, float *v, const float *gradient,
                             const float *l1, const float *twiceL2, long count) {
    active->optimizer_update(step, theta, m, v, gradient, l1, twiceL2, count);
}

void tandem_relu_forward(const float *x, long count, float *y) { active->relu_forward(x, count, y); }

void tandem_relu_backward(const float *dy, const float *y, long count, float *dx) { active->relu_backward(dy, y, count, dx); }

void tandem_channels_add_bias(float *values, const float *bias, long positions, long channels, int relu) {
    active->channels_add_bias(values, bias, positions, channels, relu);
}

void tandem_channels_sum(const float *x, long positions, long channels, float *sums) {
    active->channels_sum(x, positions, channels, sums);
}

void tandem_channels_sum_squared_deviations(const float *x, const float *mean, long positions, long channels, float *sums) {
    active->channels_sum_squared_deviations(x, mean, positions, channels, sums);
}

void tandem_channels_sum_products(const float *a, const float *b, long positions, long channels, float *sums) {
    active->channels_sum_products(a, b, positions, channels, sums);
}

void tandem_channels_sum_and_sum_products(const float *dy, const float *x, long positions, long channels, float *sums,
                                          float *productSums) {
    active->channels_sum_and_sum_products(dy, x, positions, channels, sums, productSums);
}

void tandem_channels_multiply_add(const float *x, const float *a, const float *b, long positions, long channels, float *y) {
    active->channels_multiply_add(x, a, b, positions, channels, y);
}

void tandem_channels_normalize(const float *x, const float *a, const float *b, const float *mean, const float *scale,
                               long positions, long channels, float *y, float *normalized) {
    active->channels_normalize(x, a, b, mean, scale, positions, channels, y, normalized);
}

void tandem_channels_normalization_gradient(const float *dy, const float *normalized, const float *factor,
                                            const float *meanGradient, const float *meanProjection, long positions,
                                            long channels, float *dx) {
    active->channels_normalization_gradient(dy, normalized, factor, meanGradient, meanProjection, positions, channels, dx);
}

void tandem_depthwise_forward(const TandemConvolutionWindows *windows, const float *input, const float *kernel, float *output) {
    active->depthwise_forward(windows, input, kernel, output);
}

void tandem_depthwise_backward(const TandemConvolutionWindows *windows, const float *input, const float *kernel,
                               const float *outputGradient, float *kernelGradient, float *inputGradient) {
    active->depthwise_backward(windows, input, kernel, outputGradient, kernelGradient, inputGradient);
}
