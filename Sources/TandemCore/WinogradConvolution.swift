/// Winograd convolution (Lavin & Gray 2016) for 3×3 kernels with `same` padding: F(2×2, 3×3) or
/// F(4×4, 3×3) (`Winograd4x4`), `r × r` output tiles from `(r + 2) × (r + 2)` input tiles.
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
            + widestChannels                                            // a row of zeros for tiles past the edge
    }

    private struct WinogradScratch {
        let padded, transformed, products, gradientTransform, kernelGradient, zeros: UnsafeMutablePointer<Float>
    }

    private func scratchRegions(_ base: UnsafeMutablePointer<Float>, samples: Int) -> WinogradScratch {
        let chunkTiles = chunkSize(samples) * tileCount
        let padded = base
        let transformed = padded + paddedHeight * paddedWidth * widestChannels
        let products = transformed + tileElements * chunkTiles * widestChannels
        let gradientTransform = products + tileElements * chunkTiles * widestChannels
        let kernelGradient = gradientTransform + tileElements * chunkTiles * filters
        let zeros = kernelGradient + tileElements * tapWeights
        return WinogradScratch(padded: padded, transformed: transformed, products: products,
                               gradientTransform: gradientTransform, kernelGradient: kernelGradient, zeros: zeros)
    }

    /// F(2×2)'s q: the tile element of the rotated kernel's transform, `(i, j) → (q(i), q(j))` with q swapping 0 and 3.
    @inline(__always)
    private static func rotatedElement(_ element: Int) -> Int {
        @inline(__always) func q(_ index: Int) -> Int { index == 0 ? 3 : index == 3 ? 0 : index }
        return 4 * q(element / 4) + q(element % 4)
    }

    // MARK: Forward and backward

    func prepareWinogradKernels(parameters: UnsafePointer<Float>, prepared: UnsafeMutablePointer<Float>) {
        let inputChannels = inputShape.channels, rotated = prepared + tileElements * tapWeights
        for inputChannel in 0..<inputChannels {
            // U[ξ][inputChannel][·]: vectorised over filters, which are contiguous in HWIO.
            let source = parameters + inputChannel * filters, destination = prepared + inputChannel * filters
            if algorithm == .winograd4x4 {
                KernelTransform4x4(source: source, tapStride: tapWeights, rotated: false, destination: destination, elementStride: tapWeights)
                    .run(channels: filters)
            } else {
                KernelTransform(source: source, tapStride: tapWeights, destination: destination, elementStride: tapWeights)
                    .run(channels: filters)
            }
        }
        guard storesRotatedKernels else { return }
        if algorithm == .winograd4x4 {
            // U′[ξ][filter][·] from the kernel rotated 180° with its channel axes swapped, vectorised over input channels.
            let swapped = rotated + tileElements * tapWeights
            for tap in 0..<9 {
                transpose(parameters + tap * tapWeights, rows: inputChannels, columns: filters, into: swapped + tap * tapWeights)
            }
            for filter in 0..<filters {
                KernelTransform4x4(source: swapped + filter * inputChannels, tapStride: tapWeights, rotated: true,
                                   destination: rotated + filter * inputChannels, elementStride: tapWeights)
                    .run(channels: inputChannels)
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
        scratch.zeros.update(repeating: 0, count: widestChannels)
        for first in stride(from: 0, to: count, by: chunk) {
            let samples = first..<min(first + chunk, count), chunkTiles = samples.count * tileCount
            for sample in samples {
                let outputGradient = memory.outputGradient + sample * outputShape.count
                for tileRow in 0..<tileRows {
                    for tileColumn in 0..<tileColumns {
                        let row = tileSize * tileRow, column = tileSize * tileColumn
                        let destination = scratch.gradientTransform + ((sample - first) * tileCount + tileRow * tileColumns + tileColumn) * filters
                        if algorithm == .winograd4x4 {
                            OutputGradientTransform4x4(
                                corner: outputGradient + (row * width + column) * filters, rowStride: width * filters,
                                columnStride: filters, rows: min(4, height - row), columns: min(4, width - column),
                                destination: destination, elementStride: chunkTiles * filters
                            ).run(channels: filters)
                        } else {
                            func gradient(_ r: Int, _ c: Int) -> UnsafePointer<Float> {
                                r < height && c < width ? UnsafePointer(outputGradient + (r * width + c) * filters) : UnsafePointer(scratch.zeros)
                            }
                            OutputGradientTransform(
                                y00: gradient(row, column), y01: gradient(row, column + 1),
                                y10: gradient(row + 1, column), y11: gradient(row + 1, column + 1),
                                destination: destination, elementStride: chunkTiles * filters
                            ).run(channels: filters)
                        }
                    }
                }
            }
            for element in 0..<tileElements {
                matrixMultiply(memory.saved + (element * blockTiles + first * tileCount) * inputChannels, transposeA: true,
                               scratch.gradientTransform + element * chunkTiles * filters,
                               into: scratch.kernelGradient + element * tapWeights,
                               m: inputChannels, n: filters, k: chunkTiles, beta: first == 0 ? 0 : 1)
            }
        }
        for inputChannel in 0..<inputChannels {
            let source = scratch.kernelGradient + inputChannel * filters, destination = memory.parameterGradient + inputChannel * filters
            if algorithm == .winograd4x4 {
                KernelGradientTransform4x4(source: source, elementStride: tapWeights, destination: destination, tapStride: tapWeights)
                    .run(channels: filters)
            } else {
                KernelGradientTransform(source: source, elementStride: tapWeights, destination: destination, tapStride: tapWeights)
                    .run(channels: filters)
            }
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
        let chunk = chunkSize(count), tileSize = self.tileSize
        for first in stride(from: 0, to: count, by: chunk) {
            let samples = first..<min(first + chunk, count), chunkTiles = samples.count * tileCount
            // Where this chunk's transform starts, and the distance between its elements ξ.
            let (base, elementStride) = transformedRows.map { (transformed + first * tileCount * channels, $0 * channels) }
                ?? (transformed, chunkTiles * channels)
            for sample in samples {
                pad(input + sample * planeSize * channels, height: height, width: width, channels: channels, into: scratch.padded)
                for tileRow in 0..<tileRows {
                    for tileColumn in 0..<tileColumns {
                        let tile = (sample - first) * tileCount + tileRow * tileColumns + tileColumn
                        let corner = scratch.padded + (tileSize * tileRow * paddedWidth + tileSize * tileColumn) * channels
                        if tileSize == 4 {
                            InputTransform4x4(corner: corner, rowStride: paddedWidth * channels, columnStride: channels,
                                              destination: base + tile * channels, elementStride: elementStride).run(channels: channels)
                        } else {
                            InputTransform(corner: corner, rowStride: paddedWidth * channels, columnStride: channels,
                                           destination: base + tile * channels, elementStride: elementStride).run(channels: channels)
                        }
                    }
                }
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
                let plane = output + sample * planeSize * outputChannels
                for tileRow in 0..<tileRows {
                    for tileColumn in 0..<tileColumns {
                        let tile = (sample - first) * tileCount + tileRow * tileColumns + tileColumn
                        let row = tileSize * tileRow, column = tileSize * tileColumn
                        let source = scratch.products + tile * outputChannels, corner = plane + (row * width + column) * outputChannels
                        if tileSize == 4 {
                            OutputTransform4x4(source: source, elementStride: chunkTiles * outputChannels, corner: corner,
                                               rowStride: width * outputChannels, columnStride: outputChannels,
                                               rows: min(4, height - row), columns: min(4, width - column),
                                               bias: bias, activation: activation).run(channels: outputChannels)
                        } else {
                            OutputTransform(source: source, elementStride: chunkTiles * outputChannels, corner: corner,
                                            rowStride: width * outputChannels, columnStride: outputChannels,
                                            hasSecondRow: row + 1 < height, hasSecondColumn: column + 1 < width,
                                            bias: bias, activation: activation).run(channels: outputChannels)
                        }
                    }
                }
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

// MARK: - F(2×2, 3×3)'s transforms, each on one group of channels

/// `V = Bᵀ d B` for one 4×4 input tile `d`; `Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]`.
private struct InputTransform: ChannelKernel {
    let corner: UnsafePointer<Float>
    let rowStride: Int, columnStride: Int
    let destination: UnsafeMutablePointer<Float>
    let elementStride: Int

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        @inline(__always) func d(_ i: Int, _ j: Int) -> V { V.load(corner + i * rowStride + j * columnStride + channel) }
        @inline(__always) func store(_ i: Int, _ r0: V, _ r1: V, _ r2: V, _ r3: V) {
            let base = destination + 4 * i * elementStride + channel
            (r0 - r2).store(to: base)
            (r1 + r2).store(to: base + elementStride)
            (r2 - r1).store(to: base + 2 * elementStride)
            (r1 - r3).store(to: base + 3 * elementStride)
        }
        // Rows of Bᵀ d, each then multiplied by B on the right.
        let d10 = d(1, 0), d11 = d(1, 1), d12 = d(1, 2), d13 = d(1, 3)
        let d20 = d(2, 0), d21 = d(2, 1), d22 = d(2, 2), d23 = d(2, 3)
        let d00 = d(0, 0), d01 = d(0, 1), d02 = d(0, 2), d03 = d(0, 3)
        store(0, d00 - d20, d01 - d21, d02 - d22, d03 - d23)
        store(1, d10 + d20, d11 + d21, d12 + d22, d13 + d23)
        store(2, d20 - d10, d21 - d11, d22 - d12, d23 - d13)
        let d30 = d(3, 0), d31 = d(3, 1), d32 = d(3, 2), d33 = d(3, 3)
        store(3, d10 - d30, d11 - d31, d12 - d32, d13 - d33)
    }
}

/// `Y = Aᵀ M A` for one tile, plus bias and activation; `Aᵀ = [1 1 1 0; 0 1 -1 -1]`.
/// Writes only the output positions inside the plane.
private struct OutputTransform: ChannelKernel {
    let source: UnsafePointer<Float>
    let elementStride: Int
    let corner: UnsafeMutablePointer<Float>
    let rowStride: Int, columnStride: Int
    let hasSecondRow: Bool, hasSecondColumn: Bool
    let bias: UnsafePointer<Float>?
    let activation: Activation

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        @inline(__always) func m(_ i: Int, _ j: Int) -> V { V.load(source + (4 * i + j) * elementStride + channel) }
        @inline(__always) func firstRow(_ j: Int) -> V { m(0, j) + m(1, j) + m(2, j) }
        @inline(__always) func secondRow(_ j: Int) -> V { m(1, j) - m(2, j) - m(3, j) }
        @inline(__always) func finish(_ value: V) -> V {
            var value = value
            if let bias { value = value + V.load(bias + channel) }
            return activation == .relu ? value.clampedBelowAtZero() : value
        }
        @inline(__always) func storeRow(_ s: (V, V, V, V), _ row: Int) {
            let target = corner + row * rowStride + channel
            finish(s.0 + s.1 + s.2).store(to: target)
            if hasSecondColumn { finish(s.1 - s.2 - s.3).store(to: target + columnStride) }
        }
        // Rows of Aᵀ M, each then multiplied by A on the right.
        storeRow((firstRow(0), firstRow(1), firstRow(2), firstRow(3)), 0)
        if hasSecondRow { storeRow((secondRow(0), secondRow(1), secondRow(2), secondRow(3)), 1) }
    }
}

/// `A dY Aᵀ` for one 2×2 tile of the output gradient (the adjoint of `OutputTransform`).
private struct OutputGradientTransform: ChannelKernel {
    let y00, y01, y10, y11: UnsafePointer<Float>
    let destination: UnsafeMutablePointer<Float>
    let elementStride: Int

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        let a = V.load(y00 + channel), b = V.load(y01 + channel)
        let c = V.load(y10 + channel), d = V.load(y11 + channel)
        // Rows of A dY: (y0, y0 + y1, y0 - y1, -y1), each then multiplied by Aᵀ on the right.
        @inline(__always) func store(_ i: Int, _ left: V, _ right: V) {
            let base = destination + 4 * i * elementStride + channel
            left.store(to: base)
            (left + right).store(to: base + elementStride)
            (left - right).store(to: base + 2 * elementStride)
            (-right).store(to: base + 3 * elementStride)
        }
        store(0, a, b)
        store(1, a + c, b + d)
        store(2, a - c, b - d)
        store(3, -c, -d)
    }
}

/// `U = G g Gᵀ` for one 3×3 kernel; `G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]`.
private struct KernelTransform: ChannelKernel {
    /// Tap (ky, kx) of the kernel is at `source + (3 ky + kx) · tapStride`.
    let source: UnsafePointer<Float>
    let tapStride: Int
    /// Element ξ of U goes to `destination + ξ · elementStride`.
    let destination: UnsafeMutablePointer<Float>
    let elementStride: Int

    /// `G x` for a column `x` of three values.
    @inline(__always)
    static func expand<V: ChannelVector>(_ x0: V, _ x1: V, _ x2: V) -> (V, V, V, V) {
        (x0, (x0 + x1 + x2) * 0.5, (x0 - x1 + x2) * 0.5, x2)
    }

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        @inline(__always) func g(_ i: Int, _ j: Int) -> V { V.load(source + (3 * i + j) * tapStride + channel) }
        // Columns of G g, then each row of (G g) expanded again by Gᵀ on the right.
        let c0 = Self.expand(g(0, 0), g(1, 0), g(2, 0))
        let c1 = Self.expand(g(0, 1), g(1, 1), g(2, 1))
        let c2 = Self.expand(g(0, 2), g(1, 2), g(2, 2))
        @inline(__always) func storeRow(_ i: Int, _ x0: V, _ x1: V, _ x2: V) {
            let row = Self.expand(x0, x1, x2)
            let base = destination + 4 * i * elementStride + channel
            row.0.store(to: base)
            row.1.store(to: base + elementStride)
            row.2.store(to: base + 2 * elementStride)
            row.3.store(to: base + 3 * elementStride)
        }
        storeRow(0, c0.0, c1.0, c2.0)
        storeRow(1, c0.1, c1.1, c2.1)
        storeRow(2, c0.2, c1.2, c2.2)
        storeRow(3, c0.3, c1.3, c2.3)
    }
}

/// `dg = Gᵀ dU G`: the kernel gradient from its Winograd-domain gradient.
private struct KernelGradientTransform: ChannelKernel {
    /// Element ξ of dU is at `source + ξ · elementStride`.
    let source: UnsafePointer<Float>
    let elementStride: Int
    /// Tap (ky, kx) of the kernel gradient goes to `destination + (3 ky + kx) · tapStride`.
    let destination: UnsafeMutablePointer<Float>
    let tapStride: Int

    /// `Gᵀ x` for a column `x` of four values.
    @inline(__always)
    static func contract<V: ChannelVector>(_ x0: V, _ x1: V, _ x2: V, _ x3: V) -> (V, V, V) {
        let half = (x1 + x2) * 0.5
        return (x0 + half, (x1 - x2) * 0.5, half + x3)
    }

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        @inline(__always) func u(_ i: Int, _ j: Int) -> V { V.load(source + (4 * i + j) * elementStride + channel) }
        // Columns of Gᵀ dU, then each row contracted again by G on the right.
        let c0 = Self.contract(u(0, 0), u(1, 0), u(2, 0), u(3, 0))
        let c1 = Self.contract(u(0, 1), u(1, 1), u(2, 1), u(3, 1))
        let c2 = Self.contract(u(0, 2), u(1, 2), u(2, 2), u(3, 2))
        let c3 = Self.contract(u(0, 3), u(1, 3), u(2, 3), u(3, 3))
        @inline(__always) func storeRow(_ ky: Int, _ x0: V, _ x1: V, _ x2: V, _ x3: V) {
            let row = Self.contract(x0, x1, x2, x3)
            let base = destination + 3 * ky * tapStride + channel
            row.0.store(to: base)
            row.1.store(to: base + tapStride)
            row.2.store(to: base + 2 * tapStride)
        }
        storeRow(0, c0.0, c1.0, c2.0, c3.0)
        storeRow(1, c0.1, c1.1, c2.1, c3.1)
        storeRow(2, c0.2, c1.2, c2.2, c3.2)
    }
}
