import CTandemKernels

/// Convolution tap by tap: for each kernel tap, one product over the output positions where that tap
/// lands inside the input, `output[those positions] += input[the positions they read] × kernel[tap]`.
///
/// It does only the multiplies that do not meet padding, and reads each tap's weights once per block.
/// That pays on planes not much larger than the kernel (a 3×3 convolution on the 2×2 and 1×1 planes
/// of a network on 32×32 pictures), where most of im2col's patch matrix is padding, and Winograd's
/// tiles are mostly padding too while its per-step kernel transforms cost as much as its products.
/// Each output sums its taps in the kernel's row-major order; each product's shape depends on the
/// layer and the block size only.
extension Conv2D {
    /// Calls `body(tap, rows, columns, pairsBefore)` for each kernel tap in row-major order with its
    /// inside rectangle and the number of (output, input) pairs of the taps before it.
    @inline(__always)
    private func forEachKernelTap(_ body: (_ tap: Int, _ rows: Range<Int>, _ columns: Range<Int>, _ pairsBefore: Int) -> Void) {
        var pairs = 0
        for kernelRow in 0..<kernelSize.height {
            for kernelColumn in 0..<kernelSize.width {
                let (rows, columns) = windows.insideOutputs(kernelRow: kernelRow, kernelColumn: kernelColumn)
                body(kernelRow * kernelSize.width + kernelColumn, rows, columns, pairs)
                pairs += rows.count * columns.count
            }
        }
    }

    private var largestTapPairs: Int {
        var largest = 0
        forEachKernelTap { _, rows, columns, _ in largest = max(largest, rows.count * columns.count) }
        return largest
    }

    /// Forward keeps each tap's gathered input rows for the kernel gradient.
    func tapsSavedCount(samples: Int) -> Int { samples * windows.insidePairs * inputShape.channels }
    /// One tap's products (forward), or its gathered output gradient and the product for its input gradient.
    func tapsScratchCount(samples: Int) -> Int { samples * largestTapPairs * (filters + inputShape.channels) }

    /// Calls `body(pair, outputPosition, inputPosition)` for one tap's pairs of one sample, in order.
    @inline(__always)
    private func forEachPair(tap: Int, rows: Range<Int>, columns: Range<Int>,
                             _ body: (_ pair: Int, _ outputPosition: Int, _ inputPosition: Int) -> Void) {
        let kernelRow = tap / kernelSize.width, kernelColumn = tap % kernelSize.width
        var pair = 0
        for row in rows {
            let inputRow = row * strides.height + kernelRow * dilation.height - windows.paddingTop
            for column in columns {
                let inputColumn = column * strides.width + kernelColumn * dilation.width - windows.paddingLeft
                body(pair, row * outputShape.width + column, inputRow * inputShape.width + inputColumn)
                pair += 1
            }
        }
    }

    func forwardTaps(_ memory: LayerMemory) {
        let count = memory.count, channels = inputShape.channels, tapWeights = channels * filters
        memory.output.update(repeating: 0, count: count * outputShape.count)
        forEachKernelTap { tap, rows, columns, pairsBefore in
            let pairs = rows.count * columns.count
            guard pairs > 0 else { return }
            let gathered = memory.saved + count * pairsBefore * channels
            for sample in 0..<count {
                let input = memory.input + sample * inputShape.count, rowsOfSample = gathered + sample * pairs * channels
                forEachPair(tap: tap, rows: rows, columns: columns) { pair, _, inputPosition in
                    (rowsOfSample + pair * channels).update(from: input + inputPosition * channels, count: channels)
                }
            }
            let products = memory.scratch
            matrixMultiply(gathered, memory.parameters + tap * tapWeights, into: products, m: count * pairs, n: filters, k: channels)
            for sample in 0..<count {
                let output = memory.output + sample * outputShape.count, productsOfSample = products + sample * pairs * filters
                forEachPair(tap: tap, rows: rows, columns: columns) { pair, outputPosition, _ in
                    tandem_channels_sum(productsOfSample + pair * filters, 1, filters, output + outputPosition * filters)
                }
            }
        }
        addBiasAndActivate(activation.fused, values: memory.output, bias: bias(memory.parameters),
                           positions: count * outputPositions, channels: filters)
    }

    /// Expects `outputGradient` already through the activation and the bias gradient written.
    func backwardTaps(_ memory: LayerMemory) {
        let count = memory.count, channels = inputShape.channels, tapWeights = channels * filters
        memory.inputGradient?.update(repeating: 0, count: count * inputShape.count)
        forEachKernelTap { tap, rows, columns, pairsBefore in
            let pairs = rows.count * columns.count, kernelGradient = memory.parameterGradient + tap * tapWeights
            guard pairs > 0 else {
                kernelGradient.update(repeating: 0, count: tapWeights)
                return
            }
            let gathered = memory.scratch
            for sample in 0..<count {
                let outputGradient = memory.outputGradient + sample * outputShape.count
                let rowsOfSample = gathered + sample * pairs * filters
                forEachPair(tap: tap, rows: rows, columns: columns) { pair, outputPosition, _ in
                    (rowsOfSample + pair * filters).update(from: outputGradient + outputPosition * filters, count: filters)
                }
            }
            // kernelGradient[tap] = inputRowsᵀ × outputGradientRows
            matrixMultiply(memory.saved + count * pairsBefore * channels, transposeA: true, gathered, into: kernelGradient,
                           m: channels, n: filters, k: count * pairs)
            guard let inputGradient = memory.inputGradient else { return }
            let products = memory.scratch + count * pairs * filters
            matrixMultiply(gathered, memory.parameters + tap * tapWeights, transposeB: true, into: products,
                           m: count * pairs, n: channels, k: filters)
            for sample in 0..<count {
                let inputGradientOfSample = inputGradient + sample * inputShape.count
                let productsOfSample = products + sample * pairs * channels
                forEachPair(tap: tap, rows: rows, columns: columns) { pair, _, inputPosition in
                    tandem_channels_sum(productsOfSample + pair * channels, 1, channels, inputGradientOfSample + inputPosition * channels)
                }
            }
        }
    }
}
