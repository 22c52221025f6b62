// The patch matrix of im2col: a copy, so one build for every CPU level (no arithmetic to keep equal).
#include "tandem_kernels.h"

// The output columns [*first, *end) whose tap at input column offset `shift` (+ column · stride) lands
// inside the input.
static void insideColumns(long shift, long stride, long inputWidth, long outputWidth, long *first, long *end) {
    long begin = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
    long finish = inputWidth - shift <= 0 ? 0 : (inputWidth - shift + stride - 1) / stride;
    if (finish > outputWidth) finish = outputWidth;
    if (begin > finish) begin = finish;
    *first = begin;
    *end = finish;
}

void tandem_gather_patches(const TandemConvolutionWindows *w, const float *restrict input, float *restrict patches) {
    const long channels = w->channels, rowLength = w->kernelHeight * w->kernelWidth * channels;
    for (long outputRow = 0; outputRow < w->outputHeight; outputRow++) {
        float *rowPatches = patches + outputRow * w->outputWidth * rowLength;
        for (long kernelRow = 0; kernelRow < w->kernelHeight; kernelRow++) {
            const long row = outputRow * w->strideHeight + kernelRow * w->dilationHeight - w->paddingTop;
            const int rowInside = row >= 0 && row < w->inputHeight;
            for (long kernelColumn = 0; kernelColumn < w->kernelWidth; kernelColumn++) {
                // One tap for every output column of the row: zeros, then the input row read at the
                // stride, then zeros.
                float *destination = rowPatches + (kernelRow * w->kernelWidth + kernelColumn) * channels;
                const long shift = kernelColumn * w->dilationWidth - w->paddingLeft;
                long first = 0, end = 0;
                if (rowInside) insideColumns(shift, w->strideWidth, w->inputWidth, w->outputWidth, &first, &end);
                const float *source = rowInside ? input + (row * w->inputWidth + shift) * channels : input;
                const long sourceStep = w->strideWidth * channels;
                long column = 0;
                for (; column < first; column++)
                    for (long channel = 0; channel < channels; channel++) destination[column * rowLength + channel] = 0;
                if (channels == 1) {
                    for (; column < end; column++) destination[column * rowLength] = source[column * sourceStep];
                } else {
                    for (; column < end; column++)
                        for (long channel = 0; channel < channels; channel++)
                            destination[column * rowLength + channel] = source[column * sourceStep + channel];
                }
                for (; column < w->outputWidth; column++)
                    for (long channel = 0; channel < channels; channel++) destination[column * rowLength + channel] = 0;
            }
        }
    }
}
