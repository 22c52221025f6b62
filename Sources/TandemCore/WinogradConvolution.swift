import CTandemKernels

/// Winograd convolution (Lavin & Gray 2016) for 3×3 kernels with `same` padding: F(2×2, 3×3) or
/// F(4×4, 3×3), `r × r` output tiles from `(r + 2) × (r + 2)` input tiles. The transforms themselves
/// (their matrices are written out there) are C kernels compiled per CPU level (CTandemKernels).
///
/// Each output tile is computed from its input tile as `Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A`: (r + 2)²
/// multiplies per tile and channel pair instead of 9 r² (16 for 36 with r = 2, 36 for 144 with r = 4).
/// Summed over input channels, the element-wise product becomes one GEMM per tile element ξ, each over
/// the tiles of a chunk of the block's samples (`chunkSize`: as many as keep a chunk's transforms in a
/// core's cache): `M_ξ[tiles·s][filters] = V_ξ[tiles·s][inputChannels] × U_ξ[inputChannels][filters]`.
///
/// Backward uses the same machinery:
/// - input gradient: a `same` convolution of the output gradient with the kernel rotated 180° and its
///   channel axes swapped, whose transform is `U′`. For F(2×2), rotating g swaps the first and last
///   rows of G g (G J = P G, with P the exchange of rows 0 and 3), so `U′_ξ` is `U` at ξ = (q(i), q(j)),
///   q swapping 0 and 3, transposed: copied once a step for small layers (whose products run faster
///   untransposed), read transposed from `U` for the others. F(4×4)'s G has no such symmetry: `U′` is
///   transformed from the rotated kernel once a step;
/// - kernel gradient: `dU_ξ = Σ V_ξᵀ × (A dY Aᵀ)_ξ` over every tile of the block (the chunks' products
///   added in order), then `dg = Gᵀ dU G`.
///
/// Layouts (all channels-last, so every transform works on contiguous groups of channels):
/// `U[ξ][inputChannels][filters]`, `U′[ξ][filters][inputChannels]`, `V[ξ][tiles·n][channels]` with tile
/// `t` of sample `s` at row `s·tiles + t`.
extension Conv2D {
    /// `r`: the output tile's side.
    var tileSize: Int { algorithm == .winograd4x4 ? 4 : 2 }
    /// (r + 2)²: the tile elements, one GEMM each.
    var tileElements: Int { (tileSize + 2) * (tileSize + 2) }
    var tileRows: Int { (outputShape.height + tileSize - 1) / tileSize }
    var tileColumns: Int { (outputShape.width + tileSize - 1) / tileSize }
    var tileCount: Int { tileRows * tileColumns }
    /// The zero-padded plane the tiles are cut from: one row/column of zeros before, enough after.
    var paddedHeight: Int { tileSize * tileRows + 2 }
    var paddedWidth: Int { tileSize * tileColumns + 2 }
    private var widestChannels: Int { max(inputShape.channels, filters) }
    /// Weights of one tap of the kernel (or one tile element of its transform): inputChannels × filters.
    private var tapWeights: Int { inputShape.channels * filters }
    /// Whether `prepared` holds `U′` after `U`: always for F(4×4); for F(2×2), small layers only (whose
    /// products run faster untransposed).
    private var storesRotatedKernels: Bool { algorithm == .winograd4x4 || tapWeights <= 64 * 64 }
    /// Samples per chunk, the same for the forward, input-gradient and kernel-gradient products: a
    /// chunk's transforms and products, `elements · tiles · (inputChannels + filters)` floats, in about
    /// 1 MB (a core's L2 cache here), but at least 64 rows where the samples have fewer tiles, so that
    /// each kernel element read serves several tiles. A function of the layer's shape and the block size.
    private func chunkSize(_ samples: Int) -> Int {
        let rows = max(64, (1 << 18) / (tileElements * (inputShape.channels + filters)))
        return min(max(rows / tileCount, 1), samples)
    }

    /// U, then U′ (if stored), then for F(4×4) the kernel with its channel axes swapped, which U′ is
    /// transformed from.
    var winogradPreparedCount: Int {
        tileElements * tapWeights * (storesRotatedKernels ? 2 : 1) + (algorithm == .winograd4x4 ? 9 * tapWeights : 0)
    }
    /// Forward keeps the input's transform `V` for the kernel gradient.
    func winogradSavedCount(samples: Int) -> Int { tileElements * samples * tileCount * inputShape.channels }
    func winogradScratchCount(samples: Int) -> Int {
        let chunkTiles = chunkSize(samples) * tileCount
        return paddedHeight * paddedWidth * widestChannels              // one sample's padded input (or output gradient)
            + tileElements * chunkTiles * widestChannels                // input transform of the output gradient
            + tileElements * chunkTiles * widestChannels                // GEMM products M
            + tileElements * chunkTiles * filters                       // A dY Aᵀ
            + tileElements * tapWeights                                 // kernel gradient in the Winograd domain
    }

    private struct WinogradScratch {
        let padded, transformed, products, gradientTransform, kernelGradient: UnsafeMutablePointer<Float>
    }

    private func scratchRegions(_ base: UnsafeMutablePointer<Float>, samples: Int) -> WinogradScratch {
        let chunkTiles = chunkSize(samples) * tileCount
        let padded = base
        let transformed = padded + paddedHeight * paddedWidth * widestChannels
        let products = transformed + tileElements * chunkTiles * widestChannels
        let gradientTransform = products + tileElements * chunkTiles * widestChannels
        let kernelGradient = gradientTransform + tileElements * chunkTiles * filters
        return WinogradScratch(padded: padded, transformed: transformed, products: products,
                               gradientTransform: gradientTransform, kernelGradient: kernelGradient)
    }

    /// F(2×2)'s q: the tile element of the rotated kernel's transform, `(i, j) → (q(i), q(j))` with q swapping 0 and 3.
    @inline(__always)
    private static func rotatedElement(_ element: Int) -> Int {
        @inline(__always) func q(_ index: Int) -> Int { index == 0 ? 3 : index == 3 ? 0 : index }
        return 4 * q(element / 4) + q(element % 4)
    }

    // MARK: Forward and backward

    func prepareWinogradKernels(parameters: UnsafePointer<Float>, prepared: UnsafeMutablePointer<Float>) {
        let inputChannels = inputShape.channels, rotated = prepared + tileElements * tapWeights, tile = Int32(tileSize)
        for inputChannel in 0..<inputChannels {
            // U[ξ][inputChannel][·]: vectorised over filters, which are contiguous in HWIO.
            tandem_winograd_kernel(tile, parameters + inputChannel * filters, tapWeights, 0, prepared + inputChannel * filters,
                                   tapWeights, filters)
        }
        guard storesRotatedKernels else { return }
        if algorithm == .winograd4x4 {
            // U′[ξ][filter][·] from the kernel rotated 180° with its channel axes swapped, vectorised over input channels.
            let swapped = rotated + tileElements * tapWeights
            for tap in 0..<9 {
                transpose(parameters + tap * tapWeights, rows: inputChannels, columns: filters, into: swapped + tap * tapWeights)
            }
            for filter in 0..<filters {
                tandem_winograd_kernel(tile, swapped + filter * inputChannels, tapWeights, 1, rotated + filter * inputChannels,
                                       tapWeights, inputChannels)
            }
        } else {
            for element in 0..<16 {
                transpose(prepared + Self.rotatedElement(element) * tapWeights, rows: inputChannels, columns: filters,
                          into: rotated + element * tapWeights)
            }
        }
    }

    func forwardWinograd(_ memory: LayerMemory) {
        let scratch = scratchRegions(memory.scratch, samples: memory.count)
        convolve(memory.input, count: memory.count, channels: inputShape.channels, kernels: memory.prepared,
                 rotated: false, outputChannels: filters, into: memory.output,
                 bias: bias(memory.parameters), activation: activation.fused, transformed: memory.saved,
                 transformedRows: memory.count * tileCount, scratch: scratch)
    }

    /// Expects `outputGradient` already through the activation and the bias gradient written.
    func backwardWinograd(_ memory: LayerMemory) {
        let count = memory.count, chunk = chunkSize(count)
        let scratch = scratchRegions(memory.scratch, samples: count)
        let inputChannels = inputShape.channels, blockTiles = count * tileCount
        let height = outputShape.height, width = outputShape.width

        // Kernel gradient: dU_ξ[inputChannels][filters] = Σ V_ξᵀ × (A dY Aᵀ)_ξ over the block's tiles,
        // chunk by chunk, then dg = Gᵀ dU G.
        for first in stride(from: 0, to: count, by: chunk) {
            let samples = first..<min(first + chunk, count), chunkTiles = samples.count * tileCount
            for sample in samples {
                tandem_winograd_output_gradient(Int32(tileSize), memory.outputGradient + sample * outputShape.count, height, width,
                                                filters, tileRows, tileColumns,
                                                scratch.gradientTransform + (sample - first) * tileCount * filters, chunkTiles * filters)
            }
            for element in 0..<tileElements {
                matrixMultiply(memory.saved + (element * blockTiles + first * tileCount) * inputChannels, transposeA: true,
                               scratch.gradientTransform + element * chunkTiles * filters,
                               into: scratch.kernelGradient + element * tapWeights,
                               m: inputChannels, n: filters, k: chunkTiles, beta: first == 0 ? 0 : 1)
            }
        }
        for inputChannel in 0..<inputChannels {
            tandem_winograd_kernel_gradient(Int32(tileSize), scratch.kernelGradient + inputChannel * filters, tapWeights,
                                            memory.parameterGradient + inputChannel * filters, tapWeights, filters)
        }

        // Input gradient: the output gradient convolved with the rotated, channel-swapped kernels.
        guard let inputGradient = memory.inputGradient else { return }
        convolve(memory.outputGradient, count: count, channels: filters, kernels: memory.prepared,
                 rotated: true, outputChannels: inputChannels, into: inputGradient,
                 bias: nil, activation: .linear, transformed: scratch.transformed, transformedRows: nil, scratch: scratch)
    }

    /// One `same` 3×3 convolution of `count` `outputShape`-sized planes with `channels` channels into
    /// `outputChannels` channels, chunk by chunk, given the Winograd-domain kernels: `U` as they are, or
    /// (`rotated`) the rotated kernels' `U′` for the input gradient. The input's transform goes to
    /// `transformed`: with `transformedRows`, the whole block's (`[ξ][transformedRows][channels]`, kept
    /// for the kernel gradient); without, one chunk's at a time.
    private func convolve(_ input: UnsafePointer<Float>, count: Int, channels: Int,
                          kernels: UnsafePointer<Float>, rotated: Bool, outputChannels: Int,
                          into output: UnsafeMutablePointer<Float>,
                          bias: UnsafePointer<Float>?, activation: Activation,
                          transformed: UnsafeMutablePointer<Float>, transformedRows: Int?, scratch: WinogradScratch) {
        let height = outputShape.height, width = outputShape.width, planeSize = height * width
        let chunk = chunkSize(count), tile = Int32(tileSize)
        for first in stride(from: 0, to: count, by: chunk) {
            let samples = first..<min(first + chunk, count), chunkTiles = samples.count * tileCount
            // Where this chunk's transform starts, and the distance between its elements ξ.
            let (base, elementStride) = transformedRows.map { (transformed + first * tileCount * channels, $0 * channels) }
                ?? (transformed, chunkTiles * channels)
            for sample in samples {
                pad(input + sample * planeSize * channels, height: height, width: width, channels: channels, into: scratch.padded)
                tandem_winograd_input(tile, scratch.padded, paddedWidth, tileRows, tileColumns, channels,
                                      base + (sample - first) * tileCount * channels, elementStride)
            }
            for element in 0..<tileElements {
                let products = scratch.products + element * chunkTiles * outputChannels
                if !rotated {
                    matrixMultiply(base + element * elementStride, kernels + element * tapWeights, into: products,
                                   m: chunkTiles, n: outputChannels, k: channels)
                } else if storesRotatedKernels {
                    matrixMultiply(base + element * elementStride, kernels + (tileElements + element) * tapWeights, into: products,
                                   m: chunkTiles, n: outputChannels, k: channels)
                } else {
                    matrixMultiply(base + element * elementStride, kernels + Self.rotatedElement(element) * tapWeights,
                                   transposeB: true, into: products, m: chunkTiles, n: outputChannels, k: channels)
                }
            }
            for sample in samples {
                tandem_winograd_output(tile, scratch.products + (sample - first) * tileCount * outputChannels, chunkTiles * outputChannels,
                                       tileRows, tileColumns, output + sample * planeSize * outputChannels, height, width,
                                       outputChannels, bias, activation == .relu ? 1 : 0)
            }
        }
    }

    /// Copies an HWC plane into the padded plane: one zero row and column before, zeros after.
    private func pad(_ source: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
                     into padded: UnsafeMutablePointer<Float>) {
        let rowLength = paddedWidth * channels
        padded.update(repeating: 0, count: rowLength)
        for row in 0..<height {
            let destination = padded + (row + 1) * rowLength
            destination.update(repeating: 0, count: channels)
            (destination + channels).update(from: source + row * width * channels, count: width * channels)
            (destination + (width + 1) * channels).update(repeating: 0, count: (paddedWidth - width - 1) * channels)
        }
        (padded + (height + 1) * rowLength).update(repeating: 0, count: (paddedHeight - height - 1) * rowLength)
    }
}
