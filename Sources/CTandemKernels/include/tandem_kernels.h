// Tandem's vector kernels, compiled once per CPU level and chosen when the program loads.
//
// Swift has no per-function target attribute, so the loops that gain most from wider vectors (the
// Winograd transforms, the fixed-point conversion, the optimiser updates, the element-wise and
// per-channel passes) are C, each compiled three times: portable (SSE2 on x86-64, the only level
// elsewhere), AVX2 and AVX-512. Every level computes each value with the same IEEE operations in the
// same order, and none fuses a multiply and an add, so all three give the same bits: ranks on
// different CPUs still agree.
#ifndef TANDEM_KERNELS_H
#define TANDEM_KERNELS_H

#include <stdint.h>

typedef enum TandemKernelLevel {
    TandemKernelLevelPortable = 0,
    TandemKernelLevelAVX2 = 1,
    TandemKernelLevelAVX512 = 2,
} TandemKernelLevel;

// The level in use: the widest this processor has, or the one TANDEM_KERNELS names
// (portable, avx2, avx512) when the processor has it.
TandemKernelLevel tandem_kernels_level(void);
// "portable", "avx2", "avx512".
const char *_Nonnull tandem_kernels_name(TandemKernelLevel level);
// Whether this processor can run `level`.
int tandem_kernels_supported(TandemKernelLevel level);
// Makes `level` the one in use; 0 (and nothing changes) if this processor cannot run it. For tests
// and benchmarks that compare levels in one process; call it while no kernel runs.
int tandem_kernels_use(TandemKernelLevel level);
// Why TANDEM_KERNELS was not followed (an unknown name, or a level this processor lacks), or NULL.
const char *_Nullable tandem_kernels_environment_problem(void);

// MARK: Winograd transforms, vectorised over channels (channels-last planes)
//
// `tile` is 2 (F(2×2, 3×3): 4×4 input tiles) or 4 (F(4×4, 3×3): 6×6 input tiles); a tile's (tile + 2)²
// elements ξ lie `elementStride` floats apart, and tile `t` (row-major over the plane's tiles) of a
// transform starts `t · channels` floats after its first.

// V = Bᵀ d B for every tile of one zero-padded plane (`paddedWidth` positions a row).
void tandem_winograd_input(int tile, const float *_Nonnull padded, long paddedWidth, long tileRows, long tileColumns,
                           long channels, float *_Nonnull transformed, long elementStride);
// Y = Aᵀ M A for every tile of one `height × width` output plane, plus `bias` (if not NULL), then ReLU
// if `relu`; positions past the plane's edge are not written.
void tandem_winograd_output(int tile, const float *_Nonnull products, long elementStride, long tileRows, long tileColumns,
                            float *_Nonnull plane, long height, long width, long channels,
                            const float *_Nullable bias, int relu);
// A dY Aᵀ for every tile of one `height × width` output-gradient plane (zero past its edge).
void tandem_winograd_output_gradient(int tile, const float *_Nonnull plane, long height, long width, long channels,
                                     long tileRows, long tileColumns, float *_Nonnull transformed, long elementStride);
// U = G g Gᵀ for one 3×3 kernel: tap (ky, kx) at `kernel + (3 ky + kx) · tapStride` (tap (2 − ky, 2 − kx)
// if `rotated`, F(4×4) only), element ξ of U to `transformed + ξ · elementStride`.
void tandem_winograd_kernel(int tile, const float *_Nonnull kernel, long tapStride, int rotated,
                            float *_Nonnull transformed, long elementStride, long channels);
// dg = Gᵀ dU G: the kernel gradient (tap (ky, kx) to `kernelGradient + (3 ky + kx) · tapStride`) from its
// Winograd-domain gradient (element ξ at `transformed + ξ · elementStride`).
void tandem_winograd_kernel_gradient(int tile, const float *_Nonnull transformed, long elementStride,
                                     float *_Nonnull kernelGradient, long tapStride, long channels);

// MARK: Fixed point

// sums[i] = round(values[i] · scale) (plus sums[i] if `adding`), rounded to nearest, ties to even;
// 0 if any |values[i] · scale| ≥ limit or is not a number (the sums are then meaningless). `limit` ≤ 2^51.
int tandem_fixed_point_round(const float *_Nonnull values, long count, int64_t *_Nonnull sums,
                             double scale, double limit, int adding);

// values[i] = Float(Double(first[i] + second[i]) · inverseScale) (second may be NULL): the value an
// exact sum stands for, rounded once to a double and once to a float.
void tandem_fixed_point_values(const int64_t *_Nonnull first, const int64_t *_Nullable second, long count,
                               double inverseScale, float *_Nonnull values);

// copy[i] = values[i] (copy may be NULL); 0 if any |values[i]| ≥ limit or is not a number: the range
// `tandem_fixed_point_round` accepts, where `limit` is its limit divided by its scale.
int tandem_fixed_point_check(const float *_Nonnull values, long count, float *_Nullable copy, float limit);

// MARK: Optimiser updates

typedef enum TandemOptimizerKind { TandemOptimizerAdam, TandemOptimizerSGD, TandemOptimizerRMSprop } TandemOptimizerKind;

// One step's settings (AdamW is Adam with `decays`).
typedef struct TandemOptimizerStep {
    TandemOptimizerKind kind;
    float learningRate;
    // Adam: learningRate · √(1 − β₂ᵗ) / (1 − β₁ᵗ), 1 − β₁, 1 − β₂; AdamW's decay (weightDecay · learningRate).
    float stepSize, oneMinusBeta1, oneMinusBeta2, decay;
    int decays;
    float epsilon, momentum, rho;
    int nesterov;
} TandemOptimizerStep;

// Updates `count` weights θ and their moments m, v from `gradient`, with the regularisers' l1 and 2·l2
// per weight added first when `l1` and `twiceL2` are not NULL.
void tandem_optimizer_update(const TandemOptimizerStep *_Nonnull step, float *_Nonnull theta, float *_Nonnull m,
                             float *_Nonnull v, const float *_Nonnull gradient, const float *_Nullable l1,
                             const float *_Nullable twiceL2, long count);

// MARK: Element-wise and per-channel loops
//
// Channels-last blocks: `positions` positions of `channels` contiguous floats, with per-channel vectors
// of `channels` floats. Sums add their positions in order.

// ReLU, y = max(x, 0) (NaN and −0 to +0); y may be x.
void tandem_relu_forward(const float *_Nonnull x, long count, float *_Nonnull y);
// ReLU's backward pass from its output: dx = y > 0 ? dy : 0; dx may be dy.
void tandem_relu_backward(const float *_Nonnull dy, const float *_Nonnull y, long count, float *_Nonnull dx);
// values[p][c] += bias[c], then ReLU if `relu`.
void tandem_channels_add_bias(float *_Nonnull values, const float *_Nonnull bias, long positions, long channels, int relu);
// sums[c] += Σ x[p][c] (with one position: an element-wise add of `channels` floats).
void tandem_channels_sum(const float *_Nonnull x, long positions, long channels, float *_Nonnull sums);
// sums[c] += Σ (x[p][c] − mean[c])².
void tandem_channels_sum_squared_deviations(const float *_Nonnull x, const float *_Nonnull mean, long positions, long channels,
                                            float *_Nonnull sums);
// sums[c] += Σ a[p][c] · b[p][c].
void tandem_channels_sum_products(const float *_Nonnull a, const float *_Nonnull b, long positions, long channels,
                                  float *_Nonnull sums);
// sums[c] += Σ dy[p][c] and productSums[c] += Σ dy[p][c] · x[p][c], in one pass (batch-norm's backward sums).
void tandem_channels_sum_and_sum_products(const float *_Nonnull dy, const float *_Nonnull x, long positions, long channels,
                                          float *_Nonnull sums, float *_Nonnull productSums);
// y[p][c] = x[p][c] · a[c] + b[c].
void tandem_channels_multiply_add(const float *_Nonnull x, const float *_Nonnull a, const float *_Nonnull b, long positions,
                                  long channels, float *_Nonnull y);
// y[p][c] = x[p][c] · a[c] + b[c] and normalized[p][c] = (x[p][c] − mean[c]) · scale[c] in one pass
// (batch-norm's training forward: its output and the x̂ its backward reads).
void tandem_channels_normalize(const float *_Nonnull x, const float *_Nonnull a, const float *_Nonnull b,
                               const float *_Nonnull mean, const float *_Nonnull scale, long positions, long channels,
                               float *_Nonnull y, float *_Nonnull normalized);
// dx[p][c] = factor[c] · (dy[p][c] − meanGradient[c] − normalized[p][c] · meanProjection[c]).
void tandem_channels_normalization_gradient(const float *_Nonnull dy, const float *_Nonnull normalized,
                                            const float *_Nonnull factor, const float *_Nonnull meanGradient,
                                            const float *_Nonnull meanProjection, long positions, long channels,
                                            float *_Nonnull dx);

// MARK: Depthwise convolution (one kernel per channel, depth multiplier 1), one channels-last sample

// Where a kernel's taps fall on the input: output position (y, x)'s tap (ky, kx) reads input row
// y · strideHeight + ky · dilationHeight − paddingTop (and the same for columns); taps outside the input
// are skipped (zero padding).
typedef struct TandemConvolutionWindows {
    long inputHeight, inputWidth, outputHeight, outputWidth;
    long kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth;
    long paddingTop, paddingLeft, channels;
} TandemConvolutionWindows;

// output[p][c] = Σ input[tap's position][c] · kernel[tap][c], over the taps in row-major order from 0.
void tandem_depthwise_forward(const TandemConvolutionWindows *_Nonnull windows, const float *_Nonnull input,
                              const float *_Nonnull kernel, float *_Nonnull output);
// kernelGradient[tap][c] += Σ dy[p][c] · input[tap's position][c], output positions in row-major order;
// inputGradient (if not NULL) = Σ dy[p][c] · kernel[tap][c] over the output positions that read it, in
// row-major order from 0 (overwritten, not added to).
void tandem_depthwise_backward(const TandemConvolutionWindows *_Nonnull windows, const float *_Nonnull input,
                               const float *_Nonnull kernel, const float *_Nonnull outputGradient,
                               float *_Nonnull kernelGradient, float *_Nullable inputGradient);

// im2col's patch matrix of one channels-last sample: row p (output positions in row-major order) holds
// output position p's taps in the kernel's row-major order, each `channels` floats, zeros where a tap
// falls in the padding.
void tandem_gather_patches(const TandemConvolutionWindows *_Nonnull windows, const float *_Nonnull input,
                           float *_Nonnull patches);

#endif
