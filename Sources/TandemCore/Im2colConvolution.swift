import CTandemKernels

/// Convolution as matrix multiplication over copied patches ("im2col").
///
/// With NHWC activations and an HWIO kernel, a chunk of `s` samples of the block (`samplesPerProduct`)
/// is convolved as one product
/// `output[s·positions][filters] = patches[s·positions][kh·kw·cin] × kernel[kh·kw·cin][filters]`,
/// where row `p` of `patches` holds the receptive field of output position `p` (zeros outside the input);
/// the kernel gradient is the chunks' products `patchesᵀ × outputGradient` added in order, a sum over
/// every position of the block.
extension Conv2D {
    var patchLength: Int { kernelSize.area * inputShape.channels }
    var outputPositions: Int { outputShape.height * outputShape.width }
    private func im2colChunkSize(_ samples: Int) -> Int {
        samplesPerProduct(rowsPerSample: outputPositions, n: filters, k: patchLength, samples: samples)
    }

    /// A 1×1 convolution of stride 1 (MobileNet's and the separable convolutions' pointwise half, ResNet's
    /// projections) reads its input as the patch matrix itself: no copy, and its input gradient is the
    /// product itself, with no scatter.
    var readsInputAsPatches: Bool { kernelSize == 1 && strides == 1 }

    /// Forward keeps the patch matrix for the kernel gradient.
    func im2colSavedCount(samples: Int) -> Int { readsInputAsPatches ? 0 : samples * outputPositions * patchLength }
    /// Backward's gradient with respect to one chunk's patches.
    func im2colScratchCount(samples: Int) -> Int { readsInputAsPatches ? 0 : im2colChunkSize(samples) * outputPositions * patchLength }

    /// The block's patch matrix: the input itself, or the copy forward made.
    private func patches(_ memory: LayerMemory) -> UnsafeMutablePointer<Float> { readsInputAsPatches ? memory.input : memory.saved }

    func forwardIm2col(_ memory: LayerMemory) {
        let patches = patches(memory), chunk = im2colChunkSize(memory.count)
        for first in stride(from: 0, to: memory.count, by: chunk) {
            let samples = first..<min(first + chunk, memory.count)
            for sample in samples where !readsInputAsPatches {
                gatherPatches(from: memory.input + sample * inputShape.count, into: patches + sample * outputPositions * patchLength)
            }
            matrixMultiply(patches + first * outputPositions * patchLength, memory.parameters,
                           into: memory.output + first * outputPositions * filters,
                           m: samples.count * outputPositions, n: filters, k: patchLength)
        }
        addBiasAndActivate(activation.fused, values: memory.output, bias: bias(memory.parameters),
                           positions: memory.count * outputPositions, channels: filters)
    }

    /// Expects `outputGradient` already through the activation and the bias gradient written.
    func backwardIm2col(_ memory: LayerMemory) {
        let chunk = im2colChunkSize(memory.count)
        for first in stride(from: 0, to: memory.count, by: chunk) {
            let samples = first..<min(first + chunk, memory.count), rows = samples.count * outputPositions
            let outputGradient = memory.outputGradient + first * outputPositions * filters
            // kernelGradient[kh·kw·cin][filters] (+)= patchesᵀ × outputGradient
            matrixMultiply(patches(memory) + first * outputPositions * patchLength, transposeA: true, outputGradient,
                           into: memory.parameterGradient, m: patchLength, n: filters, k: rows, beta: first == 0 ? 0 : 1)
            guard let inputGradient = memory.inputGradient else { continue }
            if readsInputAsPatches {
                matrixMultiply(outputGradient, memory.parameters, transposeB: true, into: inputGradient + first * inputShape.count,
                               m: rows, n: patchLength, k: filters)
                continue
            }
            // patchGradient[positions][kh·kw·cin] = outputGradient × kernelᵀ, then scattered back onto the input.
            let patchGradient = memory.scratch
            matrixMultiply(outputGradient, memory.parameters, transposeB: true, into: patchGradient,
                           m: rows, n: patchLength, k: filters)
            for sample in samples {
                scatterPatches(patchGradient + (sample - first) * outputPositions * patchLength,
                               into: inputGradient + sample * inputShape.count)
            }
        }
    }

    /// Calls `body(patchOffset, inputOffset)` for every kernel tap of every output position of one
    /// sample, in the patch matrix's order; `inputOffset` (of the tap's input position) is nil where the
    /// tap falls in the zero padding. Both offsets count floats; each tap covers `inputShape.channels` of them.
    @inline(__always)
    private func forEachTap(_ body: (_ patchOffset: Int, _ inputOffset: Int?) -> Void) {
        let channels = inputShape.channels
        windows.forEachTap { tap, position in body(tap * channels, position.map { $0 * channels }) }
    }

    private func gatherPatches(from input: UnsafePointer<Float>, into patches: UnsafeMutablePointer<Float>) {
        var kernelWindows = windows.kernelWindows(channels: inputShape.channels)
        tandem_gather_patches(&kernelWindows, input, patches)
    }

    /// The adjoint of `gatherPatches`: sums each patch entry into the input position it came from.
    private func scatterPatches(_ patches: UnsafePointer<Float>, into inputGradient: UnsafeMutablePointer<Float>) {
        let channels = inputShape.channels
        inputGradient.update(repeating: 0, count: inputShape.count)
        forEachTap { patchOffset, inputOffset in
            if let inputOffset { tandem_channels_sum(patches + patchOffset, 1, channels, inputGradient + inputOffset) }
        }
    }
}
