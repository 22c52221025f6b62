// The kernels themselves, written once and included by one file per CPU level, which sets the target
// (a `#pragma clang attribute` around the include) and names the table (KERNEL_TABLE).
//
// Bits: the same on every level. Channels are independent lanes, so the vector width changes nothing;
// each value goes through the same IEEE operations in the order written (C evaluates left to right, as
// Swift did when these kernels were Swift), and FP_CONTRACT OFF keeps clang from fusing a multiply and
// an add, which only some levels could do.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)
// The vectors never cross a function boundary (every helper is inlined), so their calling convention does not matter.
#pragma clang diagnostic ignored "-Wpsabi"

#include "KernelTable.h"
#include <stdint.h>
#include <string.h>

// 16 channels at a time, whatever the level: one AVX-512 register, two AVX2 ones, four SSE2 ones.
#define LANES 16
typedef float Vector __attribute__((vector_size(LANES * sizeof(float))));
typedef int32_t VectorMask __attribute__((vector_size(LANES * sizeof(float))));

#define KERNEL static inline __attribute__((always_inline))

// `lanes` floats from `p`, zeros in the lanes beyond (the last group of a channel count that is not a
// multiple of 16). With `lanes` a constant 16, a plain unaligned load.
KERNEL Vector load(const float *p, long lanes) {
    Vector v = {0};
    memcpy(&v, p, (size_t)lanes * sizeof(float));
    return v;
}

KERNEL void store(float *p, Vector v, long lanes) { memcpy(p, &v, (size_t)lanes * sizeof(float)); }

// max(v, 0), with NaN and −0 to +0 (as `v > 0 ? v : 0`).
KERNEL Vector relu(Vector v) { return (Vector)((VectorMask)v & (VectorMask)(v > 0)); }

// Runs `body(channel, lanes)` over 0..<channels: whole groups of 16 (with `lanes` a constant the
// loads and stores compile to single instructions), then the rest.
#define FOR_CHANNEL_GROUPS(channels, body)                                                       \
    do {                                                                                         \
        long channel_ = 0;                                                                       \
        for (; channel_ + LANES <= (channels); channel_ += LANES) body(channel_, LANES);         \
        if (channel_ < (channels)) body(channel_, (channels) - channel_);                        \
    } while (0)

// MARK: - F(4×4, 3×3) (Lavin & Gray 2016, points 0, ±1, ±2, ∞): 6×6 input tiles, 4×4 output tiles
//
//     Bᵀ = [4  0 −5  0  1  0;   G = [ 1/4     0     0 ;   Aᵀ = [1  1  1  1  1  0;
//           0 −4 −4  1  1  0;        −1/6  −1/6  −1/6 ;         0  1 −1  2 −2  0;
//           0  4 −4 −1  1  0;        −1/6   1/6  −1/6 ;         0  1  1  4  4  0;
//           0 −2 −1  2  1  0;        1/24  1/12   1/6 ;         0  1 −1  8 −8  1]
//           0  2 −1 −2  1  0;        1/24 −1/12   1/6 ;
//           0  4  0 −5  0  1]          0     0     1  ]
//
// Every 2-D transform is its 1-D transform applied to the columns, then to the rows.

// Bᵀ d for a column of six values.
KERNEL void input6(const Vector d[6], Vector out[6]) {
    Vector a = d[4] - d[2] * 4.0f, b = d[1] * 4.0f - d[3];
    Vector c = d[4] - d[2], e = (d[1] - d[3]) * 2.0f;
    out[0] = d[0] * 4.0f - d[2] * 5.0f + d[4];
    out[1] = a - b;
    out[2] = a + b;
    out[3] = c - e;
    out[4] = c + e;
    out[5] = d[1] * 4.0f - d[3] * 5.0f + d[5];
}

// Aᵀ m for a column of six values.
KERNEL void output6(const Vector m[6], Vector out[4]) {
    Vector sum12 = m[1] + m[2], difference12 = m[1] - m[2], sum34 = m[3] + m[4], difference34 = m[3] - m[4];
    out[0] = m[0] + sum12 + sum34;
    out[1] = difference12 + difference34 * 2.0f;
    out[2] = sum12 + sum34 * 4.0f;
    out[3] = difference12 + difference34 * 8.0f + m[5];
}

// A y for a column of four values: the adjoint of output6.
KERNEL void outputGradient6(const Vector y[4], Vector out[6]) {
    Vector even1 = y[0] + y[2], odd1 = y[1] + y[3];
    Vector even2 = y[0] + y[2] * 4.0f, odd2 = y[1] * 2.0f + y[3] * 8.0f;
    out[0] = y[0];
    out[1] = even1 + odd1;
    out[2] = even1 - odd1;
    out[3] = even2 + odd2;
    out[4] = even2 - odd2;
    out[5] = y[3];
}

// G g for a column of three values.
KERNEL void kernel6(const Vector g[3], Vector out[6]) {
    Vector outer = g[0] + g[2], outerWeighted = g[0] * (1.0f / 24.0f) + g[2] * (1.0f / 6.0f), middle = g[1] * (1.0f / 12.0f);
    out[0] = g[0] * (1.0f / 4.0f);
    out[1] = -(outer + g[1]) * (1.0f / 6.0f);
    out[2] = -(outer - g[1]) * (1.0f / 6.0f);
    out[3] = outerWeighted + middle;
    out[4] = outerWeighted - middle;
    out[5] = g[2];
}

// Gᵀ u for a column of six values: the adjoint of kernel6.
KERNEL void kernelGradient6(const Vector u[6], Vector out[3]) {
    Vector sum12 = u[1] + u[2], difference12 = u[2] - u[1], sum34 = u[3] + u[4], difference34 = u[3] - u[4];
    out[0] = u[0] * (1.0f / 4.0f) - sum12 * (1.0f / 6.0f) + sum34 * (1.0f / 24.0f);
    out[1] = difference12 * (1.0f / 6.0f) + difference34 * (1.0f / 12.0f);
    out[2] = sum34 * (1.0f / 6.0f) - sum12 * (1.0f / 6.0f) + u[5];
}

// MARK: - F(2×2, 3×3): 4×4 input tiles, 2×2 output tiles
//
//     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],  Aᵀ = [1 1 1 0; 0 1 −1 −1]

// Bᵀ d for a column of four values.
KERNEL void input4(const Vector d[4], Vector out[4]) {
    out[0] = d[0] - d[2];
    out[1] = d[1] + d[2];
    out[2] = d[2] - d[1];
    out[3] = d[1] - d[3];
}

// Aᵀ m for a column of four values.
KERNEL void output4(const Vector m[4], Vector out[2]) {
    out[0] = m[0] + m[1] + m[2];
    out[1] = m[1] - m[2] - m[3];
}

// A y for a column of two values: the adjoint of output4.
KERNEL void outputGradient4(const Vector y[2], Vector out[4]) {
    out[0] = y[0];
    out[1] = y[0] + y[1];
    out[2] = y[0] - y[1];
    out[3] = -y[1];
}

// G g for a column of three values.
KERNEL void kernel4(const Vector g[3], Vector out[4]) {
    out[0] = g[0];
    out[1] = (g[0] + g[1] + g[2]) * 0.5f;
    out[2] = (g[0] - g[1] + g[2]) * 0.5f;
    out[3] = g[2];
}

// Gᵀ u for a column of four values: the adjoint of kernel4.
KERNEL void kernelGradient4(const Vector u[4], Vector out[3]) {
    Vector half = (u[1] + u[2]) * 0.5f;
    out[0] = u[0] + half;
    out[1] = (u[1] - u[2]) * 0.5f;
    out[2] = half + u[3];
}

// MARK: - Both sizes: columns, then rows

// The 2-D transform of one tile, for one group of channels: `in[i][j]` (rows × columns) becomes
// `out[i][j]` (outRows × outColumns) as `T in Tᵀ`, T being `transform` (columns in, outRows out).
#define TRANSFORM_2D(transform, in, rows, columns, out, outRows, outColumns)                \
    do {                                                                                    \
        Vector column_[rows], image_[columns][outRows];                                     \
        for (int j = 0; j < (columns); j++) {                                               \
            for (int i = 0; i < (rows); i++) column_[i] = in[i][j];                         \
            transform(column_, image_[j]);                                                  \
        }                                                                                   \
        for (int i = 0; i < (outRows); i++) {                                               \
            Vector row_[columns];                                                           \
            for (int j = 0; j < (columns); j++) row_[j] = image_[j][i];                     \
            transform(row_, out[i]);                                                        \
        }                                                                                   \
    } while (0)

// A tile is at most 6×6: each helper takes its side (tile + 2, or the output tile's side).
typedef Vector Tile[6][6];

// Element (i, j) of a transformed tile at `base + (side · i + j) · elementStride`.
KERNEL void loadElements(const float *base, long elementStride, int side, Tile out, long channel, long lanes) {
    for (int i = 0; i < side; i++)
        for (int j = 0; j < side; j++) out[i][j] = load(base + (side * i + j) * elementStride + channel, lanes);
}

KERNEL void storeElements(float *base, long elementStride, int side, Tile in, long channel, long lanes) {
    for (int i = 0; i < side; i++)
        for (int j = 0; j < side; j++) store(base + (side * i + j) * elementStride + channel, in[i][j], lanes);
}

// A `side × side` tile of a plane from `corner`, zero past its `rows × columns` inside the plane.
KERNEL void loadPlaneTile(const float *corner, long rowStride, long columnStride, long rows, long columns, int side, Tile out,
                          long channel, long lanes) {
    for (int i = 0; i < side; i++)
        for (int j = 0; j < side; j++)
            out[i][j] = i < rows && j < columns ? load(corner + i * rowStride + j * columnStride + channel, lanes) : (Vector){0};
}

KERNEL void inputTile(int tile, const float *corner, long rowStride, long columnStride, float *destination, long elementStride,
                      long channel, long lanes) {
    const int side = tile + 2;
    Tile d, v;
    loadPlaneTile(corner, rowStride, columnStride, side, side, side, d, channel, lanes);
    if (tile == 4) TRANSFORM_2D(input6, d, 6, 6, v, 6, 6);
    else TRANSFORM_2D(input4, d, 4, 4, v, 4, 4);
    storeElements(destination, elementStride, side, v, channel, lanes);
}

static void winograd_input(int tile, const float *padded, long paddedWidth, long tileRows, long tileColumns, long channels,
                           float *transformed, long elementStride) {
    const long rowStride = paddedWidth * channels;
    for (long tileRow = 0; tileRow < tileRows; tileRow++) {
        for (long tileColumn = 0; tileColumn < tileColumns; tileColumn++) {
            const float *corner = padded + (tile * tileRow * paddedWidth + tile * tileColumn) * channels;
            float *destination = transformed + (tileRow * tileColumns + tileColumn) * channels;
            // A constant tile in each branch, so that each inlined copy is specialised.
#define INPUT_4(channel, lanes) inputTile(4, corner, rowStride, channels, destination, elementStride, channel, lanes)
#define INPUT_2(channel, lanes) inputTile(2, corner, rowStride, channels, destination, elementStride, channel, lanes)
            if (tile == 4) FOR_CHANNEL_GROUPS(channels, INPUT_4);
            else FOR_CHANNEL_GROUPS(channels, INPUT_2);
#undef INPUT_4
#undef INPUT_2
        }
    }
}

// Y = Aᵀ M A, plus bias and ReLU, written at the `rows × columns` of the tile inside the plane.
KERNEL void outputTile(int tile, const float *source, long elementStride, float *corner, long rowStride, long columnStride,
                       long rows, long columns, const float *bias, int applyRelu, long channel, long lanes) {
    Tile m, y;
    loadElements(source, elementStride, tile + 2, m, channel, lanes);
    if (tile == 4) TRANSFORM_2D(output6, m, 6, 6, y, 4, 4);
    else TRANSFORM_2D(output4, m, 4, 4, y, 2, 2);
    Vector biasValue = bias ? load(bias + channel, lanes) : (Vector){0};
    for (long i = 0; i < rows; i++) {
        for (long j = 0; j < columns; j++) {
            Vector value = y[i][j];
            if (bias) value = value + biasValue;
            store(corner + i * rowStride + j * columnStride + channel, applyRelu ? relu(value) : value, lanes);
        }
    }
}

static void winograd_output(int tile, const float *products, long elementStride, long tileRows, long tileColumns,
                            float *plane, long height, long width, long channels, const float *bias, int applyRelu) {
    const long rowStride = width * channels;
    for (long tileRow = 0; tileRow < tileRows; tileRow++) {
        for (long tileColumn = 0; tileColumn < tileColumns; tileColumn++) {
            const long row = tile * tileRow, column = tile * tileColumn;
            const long rows = height - row < tile ? height - row : tile, columns = width - column < tile ? width - column : tile;
            const float *source = products + (tileRow * tileColumns + tileColumn) * channels;
            float *corner = plane + (row * width + column) * channels;
#define OUTPUT_4(channel, lanes) \
    outputTile(4, source, elementStride, corner, rowStride, channels, rows, columns, bias, applyRelu, channel, lanes)
#define OUTPUT_2(channel, lanes) \
    outputTile(2, source, elementStride, corner, rowStride, channels, rows, columns, bias, applyRelu, channel, lanes)
            if (tile == 4) FOR_CHANNEL_GROUPS(channels, OUTPUT_4);
            else FOR_CHANNEL_GROUPS(channels, OUTPUT_2);
#undef OUTPUT_4
#undef OUTPUT_2
        }
    }
}

KERNEL void outputGradientTile(int tile, const float *corner, long rowStride, long columnStride, long rows, long columns,
                               float *destination, long elementStride, long channel, long lanes) {
    Tile y, v;
    loadPlaneTile(corner, rowStride, columnStride, rows, columns, tile, y, channel, lanes);
    if (tile == 4) TRANSFORM_2D(outputGradient6, y, 4, 4, v, 6, 6);
    else TRANSFORM_2D(outputGradient4, y, 2, 2, v, 4, 4);
    storeElements(destination, elementStride, tile + 2, v, channel, lanes);
}

static void winograd_output_gradient(int tile, const float *plane, long height, long width, long channels, long tileRows,
                                     long tileColumns, float *transformed, long elementStride) {
    const long rowStride = width * channels;
    for (long tileRow = 0; tileRow < tileRows; tileRow++) {
        for (long tileColumn = 0; tileColumn < tileColumns; tileColumn++) {
            const long row = tile * tileRow, column = tile * tileColumn;
            const long rows = height - row < tile ? height - row : tile, columns = width - column < tile ? width - column : tile;
            const float *corner = plane + (row * width + column) * channels;
            float *destination = transformed + (tileRow * tileColumns + tileColumn) * channels;
#define GRADIENT_4(channel, lanes) \
    outputGradientTile(4, corner, rowStride, channels, rows, columns, destination, elementStride, channel, lanes)
#define GRADIENT_2(channel, lanes) \
    outputGradientTile(2, corner, rowStride, channels, rows, columns, destination, elementStride, channel, lanes)
            if (tile == 4) FOR_CHANNEL_GROUPS(channels, GRADIENT_4);
            else FOR_CHANNEL_GROUPS(channels, GRADIENT_2);
#undef GRADIENT_4
#undef GRADIENT_2
        }
    }
}

KERNEL void kernelTile(int tile, const float *kernel, long tapStride, int rotated, float *destination, long elementStride,
                       long channel, long lanes) {
    Tile g, u;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) g[i][j] = load(kernel + (rotated ? 8 - (3 * i + j) : 3 * i + j) * tapStride + channel, lanes);
    if (tile == 4) TRANSFORM_2D(kernel6, g, 3, 3, u, 6, 6);
    else TRANSFORM_2D(kernel4, g, 3, 3, u, 4, 4);
    storeElements(destination, elementStride, tile + 2, u, channel, lanes);
}

static void winograd_kernel(int tile, const float *kernel, long tapStride, int rotated, float *transformed, long elementStride,
                            long channels) {
#define KERNEL_4(channel, lanes) kernelTile(4, kernel, tapStride, rotated, transformed, elementStride, channel, lanes)
#define KERNEL_2(channel, lanes) kernelTile(2, kernel, tapStride, rotated, transformed, elementStride, channel, lanes)
    if (tile == 4) FOR_CHANNEL_GROUPS(channels, KERNEL_4);
    else FOR_CHANNEL_GROUPS(channels, KERNEL_2);
#undef KERNEL_4
#undef KERNEL_2
}

KERNEL void kernelGradientTile(int tile, const float *source, long elementStride, float *destination, long tapStride,
                               long channel, long lanes) {
    Tile u, g;
    loadElements(source, elementStride, tile + 2, u, channel, lanes);
    if (tile == 4) TRANSFORM_2D(kernelGradient6, u, 6, 6, g, 3, 3);
    else TRANSFORM_2D(kernelGradient4, u, 4, 4, g, 3, 3);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) store(destination + (3 * i + j) * tapStride + channel, g[i][j], lanes);
}

static void winograd_kernel_gradient(int tile, const float *transformed, long elementStride, float *kernelGradient,
                                     long tapStride, long channels) {
#define GRADIENT_4(channel, lanes) kernelGradientTile(4, transformed, elementStride, kernelGradient, tapStride, channel, lanes)
#define GRADIENT_2(channel, lanes) kernelGradientTile(2, transformed, elementStride, kernelGradient, tapStride, channel, lanes)
    if (tile == 4) FOR_CHANNEL_GROUPS(channels, GRADIENT_4);
    else FOR_CHANNEL_GROUPS(channels, GRADIENT_2);
#undef GRADIENT_4
#undef GRADIENT_2
}

// MARK: - Fixed point

// 1.5·2^52: adding it to a double of magnitude below 2^51 rounds it to the nearest integer (ties to
// even) and leaves that integer in the low mantissa bits, where subtracting the constant's own bit
// pattern reads it out: a conversion that vectorises without AVX-512's.
static const double roundingConstant = 6755399441055744.0;

typedef float Floats8 __attribute__((vector_size(8 * sizeof(float))));
typedef double Doubles8 __attribute__((vector_size(8 * sizeof(double))));
typedef int64_t Integers8 __attribute__((vector_size(8 * sizeof(int64_t))));
typedef uint64_t Unsigned8 __attribute__((vector_size(8 * sizeof(uint64_t))));

// Eight values at a time; unsigned integer arithmetic in effect (vector integer overflow wraps), so a
// sum past the range wraps and is then refused instead of being undefined.
KERNEL int roundGroups(const float *values, long count, int64_t *sums, double scale, double limit, int adding) {
    Integers8 constantBits;
    memcpy(&constantBits, &(Doubles8){roundingConstant, roundingConstant, roundingConstant, roundingConstant,
                                      roundingConstant, roundingConstant, roundingConstant, roundingConstant},
           sizeof constantBits);
    Integers8 inRange = ~(Integers8){0};
    for (long i = 0; i + 8 <= count; i += 8) {
        Floats8 floats;
        memcpy(&floats, values + i, sizeof floats);
        Doubles8 scaled = __builtin_convertvector(floats, Doubles8) * scale;
        // Both comparisons are false for NaN.
        inRange &= (scaled < limit) & (scaled > -limit);
        Integers8 integers = (Integers8)(scaled + roundingConstant) - constantBits;
        if (adding) {
            Integers8 previous;
            memcpy(&previous, sums + i, sizeof previous);
            integers += previous;
        }
        memcpy(sums + i, &integers, sizeof integers);
    }
    for (int lane = 0; lane < 8; lane++) {
        if (!inRange[lane]) return 0;
    }
    return 1;
}

static int fixed_point_round(const float *values, long count, int64_t *sums, double scale, double limit, int adding) {
    int inRange = adding ? roundGroups(values, count, sums, scale, limit, 1) : roundGroups(values, count, sums, scale, limit, 0);
    for (long i = count - count % 8; i < count; i++) {
        double scaled = (double)values[i] * scale;
        inRange &= scaled < limit && scaled > -limit;
        uint64_t bits, constantBits;
        double shifted = scaled + roundingConstant;
        memcpy(&bits, &shifted, sizeof bits);
        memcpy(&constantBits, &roundingConstant, sizeof constantBits);
        sums[i] = (int64_t)((adding ? (uint64_t)sums[i] : 0) + (bits - constantBits));
    }
    return inRange;
}

// copy[i] = values[i] (if `copy` is given); 0 if any |values[i]| ≥ limit or is not a number: the
// range `fixed_point_round` checks (|x · scale| < limit · scale in doubles is |x| < limit, both exact
// for a power-of-two scale), for a block gradient another rank rounds.
static int fixed_point_check(const float *values, long count, float *copy, float limit) {
    typedef int32_t Masks8 __attribute__((vector_size(8 * sizeof(int32_t))));
    Masks8 inRange = ~(Masks8){0};
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        Floats8 floats;
        memcpy(&floats, values + i, sizeof floats);
        if (copy) memcpy(copy + i, &floats, sizeof floats);
        inRange &= (floats < limit) & (floats > -limit);
    }
    int result = 1;
    for (int lane = 0; lane < 8; lane++) result &= inRange[lane] != 0;
    for (; i < count; i++) {
        if (copy) copy[i] = values[i];
        result &= (values[i] < limit) & (values[i] > -limit);
    }
    return result;
}

// Σ = first[i] + second[i] (wrapping, as the allreduce's integer sums), then Float(Double(Σ) · inverseScale).
// Double(Σ) is computed exactly rounded without a scalar conversion per lane (x86-64 has a vector one
// only with AVX-512 DQ): Σ = hi·2³² + lo, both halves exact as doubles (each put into the mantissa of a
// power of two, which is then subtracted), so their sum is rounded once, as Double(Σ) is.
KERNEL Doubles8 exactDoubles(Integers8 x) {
    Integers8 high = x >> 32, low = x & 0xFFFFFFFF;
    Integers8 lowBits = low | 0x4330000000000000, highBits = high + 0x4338000000000000;
    Doubles8 lowDouble, highDouble;
    memcpy(&lowDouble, &lowBits, sizeof lowDouble);
    memcpy(&highDouble, &highBits, sizeof highDouble);
    return (highDouble - 0x1.8p52) * 0x1p32 + (lowDouble - 0x1p52);
}

KERNEL void valuesOfSums(const int64_t *first, const int64_t *second, long lanes, double inverseScale, float *values) {
    Unsigned8 sums = {0}, more = {0};
    memcpy(&sums, first, (size_t)lanes * sizeof(int64_t));
    if (second) {
        memcpy(&more, second, (size_t)lanes * sizeof(int64_t));
        sums += more;
    }
    Floats8 floats = __builtin_convertvector(exactDoubles((Integers8)sums) * inverseScale, Floats8);
    memcpy(values, &floats, (size_t)lanes * sizeof(float));
}

static void fixed_point_values(const int64_t *first, const int64_t *second, long count, double inverseScale, float *values) {
    long i = 0;
    for (; i + 8 <= count; i += 8) valuesOfSums(first + i, second ? second + i : NULL, 8, inverseScale, values + i);
    if (i < count) valuesOfSums(first + i, second ? second + i : NULL, count - i, inverseScale, values + i);
}

// MARK: - Optimiser updates (Optimizer.swift gives the formulas)

KERNEL Vector splat(float value) { return (Vector){0} + value; }

// The gradient with the regularisers' part added: g + l1 · sign(θ) + 2 l2 · θ.
KERNEL Vector regularized(Vector gradient, Vector theta, const float *l1, const float *twiceL2, long index, long lanes) {
    if (!l1) return gradient;
    Vector sign = (Vector)(((VectorMask)splat(1) & (VectorMask)(theta > 0)) | ((VectorMask)splat(-1) & (VectorMask)(theta < 0)));
    return gradient + load(l1 + index, lanes) * sign + load(twiceL2 + index, lanes) * theta;
}

KERNEL void updateGroup(const TandemOptimizerStep *step, float *theta, float *m, float *v, const float *gradient,
                        const float *l1, const float *twiceL2, long index, long lanes) {
    Vector value = load(theta + index, lanes);
    Vector g = regularized(load(gradient + index, lanes), value, l1, twiceL2, index, lanes);
    switch (step->kind) {
    case TandemOptimizerAdam: {
        Vector previousMean = load(m + index, lanes), previousVariance = load(v + index, lanes);
        Vector mean = previousMean + (g - previousMean) * step->oneMinusBeta1;
        Vector variance = previousVariance + (g * g - previousVariance) * step->oneMinusBeta2;
        store(m + index, mean, lanes);
        store(v + index, variance, lanes);
        if (step->decays) value = value - value * step->decay;
        store(theta + index, value - (mean * step->stepSize) / (__builtin_elementwise_sqrt(variance) + step->epsilon), lanes);
        break;
    }
    case TandemOptimizerSGD: {
        if (step->momentum == 0) {
            store(theta + index, value - step->learningRate * g, lanes);
            break;
        }
        Vector updated = step->momentum * load(m + index, lanes) - step->learningRate * g;
        store(m + index, updated, lanes);
        store(theta + index, value + (step->nesterov ? step->momentum * updated - step->learningRate * g : updated), lanes);
        break;
    }
    case TandemOptimizerRMSprop: {
        Vector average = step->rho * load(v + index, lanes) + (1 - step->rho) * (g * g);
        store(v + index, average, lanes);
        Vector increment = (step->learningRate * g) / __builtin_elementwise_sqrt(average + step->epsilon);
        if (step->momentum > 0) {
            Vector velocity = step->momentum * load(m + index, lanes) + increment;
            store(m + index, velocity, lanes);
            store(theta + index, value - velocity, lanes);
        } else {
            store(theta + index, value - increment, lanes);
        }
        break;
    }
    }
}

static void optimizer_update(const TandemOptimizerStep *settings, float *theta, float *m, float *v, const float *gradient,
                             const float *l1, const float *twiceL2, long count) {
    // A copy the stores to the weights cannot alias, so its fields stay in registers.
    const TandemOptimizerStep step = *settings;
#define UPDATE_GROUP(index, lanes) updateGroup(&step, theta, m, v, gradient, l1, twiceL2, index, lanes)
    FOR_CHANNEL_GROUPS(count, UPDATE_GROUP);
#undef UPDATE_GROUP
}

// MARK: - Element-wise and per-channel loops
//
// Channels-last blocks: `positions` positions of `channels` contiguous floats, with per-channel vectors
// of `channels` floats. Position by position, so every per-channel sum adds its positions in order.

// ReLU: y = max(x, 0) (y may be x).
static void relu_forward(const float *x, long count, float *y) {
#define RELU(index, lanes) store(y + (index), relu(load(x + (index), lanes)), lanes)
    FOR_CHANNEL_GROUPS(count, RELU);
#undef RELU
}

// ReLU's backward pass from its output: dx = y > 0 ? dy : 0 (dx may be dy).
static void relu_backward(const float *dy, const float *y, long count, float *dx) {
#define PASS(index, lanes) \
    store(dx + (index), (Vector)((VectorMask)load(dy + (index), lanes) & (VectorMask)(load(y + (index), lanes) > 0)), lanes)
    FOR_CHANNEL_GROUPS(count, PASS);
#undef PASS
}

// values[p][c] = values[p][c] + bias[c], then ReLU if `applyRelu`.
static void channels_add_bias(float *values, const float *bias, long positions, long channels, int applyRelu) {
    for (long position = 0; position < positions; position++) {
        float *row = values + position * channels;
#define APPLY(channel, lanes)                                                               \
    do {                                                                                    \
        Vector value = load(row + (channel), lanes) + load(bias + (channel), lanes);        \
        store(row + (channel), applyRelu ? relu(value) : value, lanes);                     \
    } while (0)
        FOR_CHANNEL_GROUPS(channels, APPLY);
#undef APPLY
    }
}

// sums[c] += Σ_p x[p][c].
static void channels_sum(const float *x, long positions, long channels, float *sums) {
    for (long position = 0; position < positions; position++) {
        const float *row = x + position * channels;
#define ADD(channel, lanes) store(sums + (channel), load(sums + (channel), lanes) + load(row + (channel), lanes), lanes)
        FOR_CHANNEL_GROUPS(channels, ADD);
#undef ADD
    }
}

// sums[c] += Σ_p (x[p][c] − mean[c])².
static void channels_sum_squared_deviations(const float *x, const float *mean, long positions, long channels, float *sums) {
    for (long position = 0; position < positions; position++) {
        const float *row = x + position * channels;
#define ADD(channel, lanes)                                                              \
    do {                                                                                 \
        Vector centered = load(row + (channel), lanes) - load(mean + (channel), lanes);  \
        store(sums + (channel), load(sums + (channel), lanes) + centered * centered, lanes); \
    } while (0)
        FOR_CHANNEL_GROUPS(channels, ADD);
#undef ADD
    }
}

// sums[c] += Σ_p a[p][c] · b[p][c].
static void channels_sum_products(const float *a, const float *b, long positions, long channels, float *sums) {
    for (long position = 0; position < positions; position++) {
        const float *rowA = a + position * channels, *rowB = b + position * channels;
#define ADD(channel, lanes) \
    store(sums + (channel), load(sums + (channel), lanes) + load(rowA + (channel), lanes) * load(rowB + (channel), lanes), lanes)
        FOR_CHANNEL_GROUPS(channels, ADD);
#undef ADD
    }
}

// sums[c] += Σ_p dy[p][c] and productSums[c] += Σ_p dy[p][c] · x[p][c], in one pass over dy.
static void channels_sum_and_sum_products(const float *dy, const float *x, long positions, long channels, float *sums,
                                          float *productSums) {
    for (long position = 0; position < positions; position++) {
        const float *rowGradient = dy + position * channels, *rowX = x + position * channels;
#define ADD(channel, lanes)                                                                                         \
    do {                                                                                                            \
        Vector gradient = load(rowGradient + (channel), lanes);                                                     \
        store(sums + (channel), load(sums + (channel), lanes) + gradient, lanes);                                  \
        store(productSums + (channel), load(productSums + (channel), lanes) + gradient * load(rowX + (channel), lanes), lanes); \
    } while (0)
        FOR_CHANNEL_GROUPS(channels, ADD);
#undef ADD
    }
}

// y[p][c] = x[p][c] · a[c] + b[c].
static void channels_multiply_add(const float *x, const float *a, const float *b, long positions, long channels, float *y) {
    for (long position = 0; position < positions; position++) {
        const long offset = position * channels;
#define APPLY(channel, lanes)                                                                                           \
    store(y + offset + (channel), load(x + offset + (channel), lanes) * load(a + (channel), lanes) + load(b + (channel), lanes), \
          lanes)
        FOR_CHANNEL_GROUPS(channels, APPLY);
#undef APPLY
    }
}

// y[p][c] = x[p][c] · a[c] + b[c] and normalized[p][c] = (x[p][c] − mean[c]) · scale[c], x read once.
static void channels_normalize(const float *x, const float *a, const float *b, const float *mean, const float *scale,
                               long positions, long channels, float *y, float *normalized) {
    for (long position = 0; position < positions; position++) {
        const long offset = position * channels;
#define APPLY(channel, lanes)                                                                                          \
    do {                                                                                                               \
        Vector value = load(x + offset + (channel), lanes);                                                            \
        store(y + offset + (channel), value * load(a + (channel), lanes) + load(b + (channel), lanes), lanes);         \
        store(normalized + offset + (channel), (value - load(mean + (channel), lanes)) * load(scale + (channel), lanes), \
              lanes);                                                                                                  \
    } while (0)
        FOR_CHANNEL_GROUPS(channels, APPLY);
#undef APPLY
    }
}

// dx[p][c] = factor[c] · (dy[p][c] − meanGradient[c] − x̂[p][c] · meanProjection[c]): batch-norm's input gradient.
static void channels_normalization_gradient(const float *dy, const float *normalized, const float *factor,
                                            const float *meanGradient, const float *meanProjection, long positions,
                                            long channels, float *dx) {
    for (long position = 0; position < positions; position++) {
        const long offset = position * channels;
#define APPLY(channel, lanes)                                                                                            \
    do {                                                                                                                 \
        Vector value = load(dy + offset + (channel), lanes) - load(meanGradient + (channel), lanes)                      \
                       - load(normalized + offset + (channel), lanes) * load(meanProjection + (channel), lanes);          \
        store(dx + offset + (channel), load(factor + (channel), lanes) * value, lanes);                                  \
    } while (0)
        FOR_CHANNEL_GROUPS(channels, APPLY);
#undef APPLY
    }
}

// MARK: - Depthwise convolution (depth multiplier 1)
//
// Row by row, and within a row one group of 16 channels at a time (whole groups with a constant LANES,
// so that loads and stores compile to single instructions), each value's sum kept in a register over
// its taps, and the group's kernel taps (in backward, their gradients) in registers across the row for
// kernels of up to 9 taps (the 3×3 kernel is compiled with its extent fixed, so its tap loops unroll).
// Every value gets its terms in the order DepthwiseConv2D documents, output positions in row-major
// order and each one's taps in row-major order, padding skipped: the input gradient is gathered, an input
// position's taps taken in reverse row-major order, which visits its output positions in row-major order.

#define DEPTHWISE_REGISTER_TAPS 9

// The input row (or column) that kernel row `kernelIndex` reads for output row `outputIndex`; outside
// 0..<extent where it falls in the padding.
KERNEL long windowIndex(long outputIndex, long stride, long kernelIndex, long dilation, long padding) {
    return outputIndex * stride + kernelIndex * dilation - padding;
}

// Runs `body(tap, position)` for each tap of output position (outputRow, outputColumn) that falls inside
// the input, in row-major order: `position` is the input position it reads, row · inputWidth + column.
#define FOR_EACH_WINDOW_TAP(w, outputRow, outputColumn, kernelHeight, kernelWidth, body)                                   \
    do {                                                                                                                 \
        for (long kernelRow_ = 0; kernelRow_ < (kernelHeight); kernelRow_++) {                                           \
            const long row_ = windowIndex(outputRow, (w)->strideHeight, kernelRow_, (w)->dilationHeight, (w)->paddingTop); \
            if (row_ < 0 || row_ >= (w)->inputHeight) continue;                                                          \
            for (long kernelColumn_ = 0; kernelColumn_ < (kernelWidth); kernelColumn_++) {                               \
                const long column_ =                                                                                     \
                    windowIndex(outputColumn, (w)->strideWidth, kernelColumn_, (w)->dilationWidth, (w)->paddingLeft);    \
                if (column_ < 0 || column_ >= (w)->inputWidth) continue;                                                 \
                body(kernelRow_ * (kernelWidth) + kernelColumn_, row_ * (w)->inputWidth + column_);                      \
            }                                                                                                            \
        }                                                                                                                \
    } while (0)

// The output row (or column) whose kernel row `kernelIndex` reads input row `inputIndex`, or −1 if none.
KERNEL long windowOutput(long inputIndex, long stride, long kernelIndex, long dilation, long padding, long outputExtent) {
    const long offset = inputIndex + padding - kernelIndex * dilation;
    if (stride == 1) return offset >= 0 && offset < outputExtent ? offset : -1;   // no division in the common case
    if (offset < 0 || offset % stride != 0) return -1;
    return offset / stride < outputExtent ? offset / stride : -1;
}

// `taps` vectors of `lanes` channels from `values + tap · channels + channel` into registers (when the
// kernel has few enough taps; `depthwiseTap` reads memory otherwise).
KERNEL void loadTaps(Vector registers[DEPTHWISE_REGISTER_TAPS], const float *values, long taps, long channels, long channel,
                     long lanes) {
    if (taps > DEPTHWISE_REGISTER_TAPS) return;
    for (long tap = 0; tap < taps; tap++) registers[tap] = load(values + tap * channels + channel, lanes);
}

KERNEL Vector depthwiseTap(const Vector registers[DEPTHWISE_REGISTER_TAPS], const float *values, long tap, long taps,
                           long channels, long channel, long lanes) {
    return taps <= DEPTHWISE_REGISTER_TAPS ? registers[tap] : load(values + tap * channels + channel, lanes);
}

KERNEL void depthwiseForwardRow(const TandemConvolutionWindows *w, const float *input, const float *kernel, float *output,
                                long outputRow, long channel, const long lanes, const long kernelHeight, const long kernelWidth) {
    const long channels = w->channels, taps = kernelHeight * kernelWidth;
    Vector kernelTaps[DEPTHWISE_REGISTER_TAPS];
    loadTaps(kernelTaps, kernel, taps, channels, channel, lanes);
    for (long outputColumn = 0; outputColumn < w->outputWidth; outputColumn++) {
        Vector sum = {0};
#define ADD_TAP(tap, position) \
    sum += load(input + (position) * channels + channel, lanes) * depthwiseTap(kernelTaps, kernel, tap, taps, channels, channel, lanes)
        FOR_EACH_WINDOW_TAP(w, outputRow, outputColumn, kernelHeight, kernelWidth, ADD_TAP);
#undef ADD_TAP
        store(output + (outputRow * w->outputWidth + outputColumn) * channels + channel, sum, lanes);
    }
}

// kernelGradient[tap] += dy · x over one output row.
KERNEL void depthwiseKernelGradientRow(const TandemConvolutionWindows *w, const float *input, const float *outputGradient,
                                       float *kernelGradient, long outputRow, long channel, const long lanes,
                                       const long kernelHeight, const long kernelWidth) {
    const long channels = w->channels, taps = kernelHeight * kernelWidth;
    Vector tapGradients[DEPTHWISE_REGISTER_TAPS];
    loadTaps(tapGradients, kernelGradient, taps, channels, channel, lanes);
    for (long outputColumn = 0; outputColumn < w->outputWidth; outputColumn++) {
        const Vector dy = load(outputGradient + (outputRow * w->outputWidth + outputColumn) * channels + channel, lanes);
#define ADD_TAP_GRADIENT(tap, position)                                                  \
    do {                                                                                 \
        const Vector x = load(input + (position) * channels + channel, lanes);          \
        if (taps <= DEPTHWISE_REGISTER_TAPS) {                                           \
            tapGradients[tap] = tapGradients[tap] + dy * x;                              \
        } else {                                                                         \
            float *tapGradient = kernelGradient + (tap) * channels + channel;            \
            store(tapGradient, load(tapGradient, lanes) + dy * x, lanes);                \
        }                                                                                \
    } while (0)
        FOR_EACH_WINDOW_TAP(w, outputRow, outputColumn, kernelHeight, kernelWidth, ADD_TAP_GRADIENT);
#undef ADD_TAP_GRADIENT
    }
    if (taps <= DEPTHWISE_REGISTER_TAPS) {
        for (long tap = 0; tap < taps; tap++) store(kernelGradient + tap * channels + channel, tapGradients[tap], lanes);
    }
}

// inputGradient = Σ dy · kernel[tap] over one input row, each position's taps in reverse row-major order.
KERNEL void depthwiseInputGradientRow(const TandemConvolutionWindows *w, const float *kernel, const float *outputGradient,
                                      float *inputGradient, long inputRow, long channel, const long lanes,
                                      const long kernelHeight, const long kernelWidth) {
    const long channels = w->channels, taps = kernelHeight * kernelWidth;
    Vector kernelTaps[DEPTHWISE_REGISTER_TAPS];
    loadTaps(kernelTaps, kernel, taps, channels, channel, lanes);
    for (long inputColumn = 0; inputColumn < w->inputWidth; inputColumn++) {
        Vector sum = {0};
        for (long kernelRow = kernelHeight - 1; kernelRow >= 0; kernelRow--) {
            const long row = windowOutput(inputRow, w->strideHeight, kernelRow, w->dilationHeight, w->paddingTop, w->outputHeight);
            if (row < 0) continue;
            for (long kernelColumn = kernelWidth - 1; kernelColumn >= 0; kernelColumn--) {
                const long column = windowOutput(inputColumn, w->strideWidth, kernelColumn, w->dilationWidth, w->paddingLeft,
                                                 w->outputWidth);
                if (column < 0) continue;
                const long tap = kernelRow * kernelWidth + kernelColumn;
                sum += load(outputGradient + (row * w->outputWidth + column) * channels + channel, lanes)
                       * depthwiseTap(kernelTaps, kernel, tap, taps, channels, channel, lanes);
            }
        }
        store(inputGradient + (inputRow * w->inputWidth + inputColumn) * channels + channel, sum, lanes);
    }
}

KERNEL void depthwiseForward(const TandemConvolutionWindows *w, const float *input, const float *kernel, float *output,
                             const long kernelHeight, const long kernelWidth) {
    for (long outputRow = 0; outputRow < w->outputHeight; outputRow++) {
#define ROW(channel, lanes) depthwiseForwardRow(w, input, kernel, output, outputRow, channel, lanes, kernelHeight, kernelWidth)
        FOR_CHANNEL_GROUPS(w->channels, ROW);
#undef ROW
    }
}

KERNEL void depthwiseBackward(const TandemConvolutionWindows *w, const float *input, const float *kernel,
                              const float *outputGradient, float *kernelGradient, float *inputGradient,
                              const long kernelHeight, const long kernelWidth) {
    for (long outputRow = 0; outputRow < w->outputHeight; outputRow++) {
#define ROW(channel, lanes) \
    depthwiseKernelGradientRow(w, input, outputGradient, kernelGradient, outputRow, channel, lanes, kernelHeight, kernelWidth)
        FOR_CHANNEL_GROUPS(w->channels, ROW);
#undef ROW
    }
    if (!inputGradient) return;
    for (long inputRow = 0; inputRow < w->inputHeight; inputRow++) {
#define ROW(channel, lanes) \
    depthwiseInputGradientRow(w, kernel, outputGradient, inputGradient, inputRow, channel, lanes, kernelHeight, kernelWidth)
        FOR_CHANNEL_GROUPS(w->channels, ROW);
#undef ROW
    }
}

static void depthwise_forward(const TandemConvolutionWindows *windows, const float *input, const float *kernel, float *output) {
    const TandemConvolutionWindows w = *windows;
    if (w.kernelHeight == 3 && w.kernelWidth == 3) depthwiseForward(&w, input, kernel, output, 3, 3);
    else depthwiseForward(&w, input, kernel, output, w.kernelHeight, w.kernelWidth);
}

static void depthwise_backward(const TandemConvolutionWindows *windows, const float *input, const float *kernel,
                               const float *outputGradient, float *kernelGradient, float *inputGradient) {
    const TandemConvolutionWindows w = *windows;
    if (w.kernelHeight == 3 && w.kernelWidth == 3) {
        depthwiseBackward(&w, input, kernel, outputGradient, kernelGradient, inputGradient, 3, 3);
    } else {
        depthwiseBackward(&w, input, kernel, outputGradient, kernelGradient, inputGradient, w.kernelHeight, w.kernelWidth);
    }
}

const KernelTable KERNEL_TABLE = {
    .winograd_input = winograd_input,
    .winograd_output = winograd_output,
    .winograd_output_gradient = winograd_output_gradient,
    .winograd_kernel = winograd_kernel,
    .winograd_kernel_gradient = winograd_kernel_gradient,
    .fixed_point_round = fixed_point_round,
    .fixed_point_values = fixed_point_values,
    .fixed_point_check = fixed_point_check,
    .optimizer_update = optimizer_update,
    .relu_forward = relu_forward,
    .relu_backward = relu_backward,
    .channels_add_bias = channels_add_bias,
    .channels_sum = channels_sum,
    .channels_sum_squared_deviations = channels_sum_squared_deviations,
    .channels_sum_products = channels_sum_products,
    .channels_sum_and_sum_products = channels_sum_and_sum_products,
    .channels_multiply_add = channels_multiply_add,
    .channels_normalize = channels_normalize,
    .channels_normalization_gradient = channels_normalization_gradient,
    .depthwise_forward = depthwise_forward,
    .depthwise_backward = depthwise_backward,
};
