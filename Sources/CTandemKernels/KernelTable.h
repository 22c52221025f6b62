// The kernels of one CPU level, as KernelBodies.h defines them (internal to CTandemKernels).
#ifndef TANDEM_KERNEL_TABLE_H
#define TANDEM_KERNEL_TABLE_H

#include "tandem_kernels.h"

typedef struct KernelTable {
    void (*_Nonnull winograd_input)(int, const float *_Nonnull, long, long, long, long, float *_Nonnull, long);
    void (*_Nonnull winograd_output)(int, const float *_Nonnull, long, long, long, float *_Nonnull, long, long, long,
                                     const float *_Nullable, int);
    void (*_Nonnull winograd_output_gradient)(int, const float *_Nonnull, long, long, long, long, long, float *_Nonnull, long);
    void (*_Nonnull winograd_kernel)(int, const float *_Nonnull, long, int, float *_Nonnull, long, long);
    void (*_Nonnull winograd_kernel_gradient)(int, const float *_Nonnull, long, float *_Nonnull, long, long);
    int (*_Nonnull fixed_point_round)(const float *_Nonnull, long, int64_t *_Nonnull, double, double, int);
    void (*_Nonnull fixed_point_values)(const int64_t *_Nonnull, const int64_t *_Nullable, long, double, float *_Nonnull);
    int (*_Nonnull fixed_point_check)(const float *_Nonnull, long, float *_Nullable, float);
    void (*_Nonnull optimizer_update)(const TandemOptimizerStep *_Nonnull, float *_Nonnull, float *_Nonnull, float *_Nonnull,
                                      const float *_Nonnull, const float *_Nullable, const float *_Nullable, long);
    void (*_Nonnull relu_forward)(const float *_Nonnull, long, float *_Nonnull);
    void (*_Nonnull relu_backward)(const float *_Nonnull, const float *_Nonnull, long, float *_Nonnull);
    void (*_Nonnull channels_add_bias)(float *_Nonnull, const float *_Nonnull, long, long, int);
    void (*_Nonnull channels_sum)(const float *_Nonnull, long, long, float *_Nonnull);
    void (*_Nonnull channels_sum_squared_deviations)(const float *_Nonnull, const float *_Nonnull, long, long, float *_Nonnull);
    void (*_Nonnull channels_sum_products)(const float *_Nonnull, const float *_Nonnull, long, long, float *_Nonnull);
    void (*_Nonnull channels_sum_and_sum_products)(const float *_Nonnull, const float *_Nonnull, long, long, float *_Nonnull,
                                                   float *_Nonnull);
    void (*_Nonnull channels_multiply_add)(const float *_Nonnull, const float *_Nonnull, const float *_Nonnull, long, long,
                                           float *_Nonnull);
    void (*_Nonnull channels_normalize)(const float *_Nonnull, const float *_Nonnull, const float *_Nonnull,
                                        const float *_Nonnull, const float *_Nonnull, long, long, float *_Nonnull,
                                        float *_Nonnull);
    void (*_Nonnull channels_normalization_gradient)(const float *_Nonnull, const float *_Nonnull, const float *_Nonnull,
                                                     const float *_Nonnull, const float *_Nonnull, long, long, float *_Nonnull);
    void (*_Nonnull depthwise_forward)(const TandemConvolutionWindows *_Nonnull, const float *_Nonnull, const float *_Nonnull,
                                       float *_Nonnull);
    void (*_Nonnull depthwise_backward)(const TandemConvolutionWindows *_Nonnull, const float *_Nonnull, const float *_Nonnull,
                                        const float *_Nonnull, float *_Nonnull, float *_Nullable);
} KernelTable;

extern const KernelTable tandem_portable_kernels;
#if defined(__x86_64__)
extern const KernelTable tandem_avx2_kernels;
extern const KernelTable tandem_avx512_kernels;
#endif

#endif
