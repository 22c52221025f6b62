/// Convolution as matrix multiplication over copied patches ("im2col").
///
/// With HWC activations and an HWIO kernel, one sample's convolution is
/// `output[positions][filters] = patches[positions][kh·kw·cin] × kernel[kh·kw·cin][filters]`,
/// where row `p` of `patches` holds the receptive field of output position `p` (zeros outside the input).
extension Conv2D {
    var patchLength: Int { kernelSize.area * inputShape.channels }
    var outputPositions: Int { outputShape.height * outputShape.width }

    /// Forward keeps the patch matrix for the kernel gradient.
    var im2colSavedCount: Int { outputPositions * patchLength }
    /// Backward's gradient with respect to the patches.
    var im2colScratchCount: Int { outputPositions * patchLength }

    func forwardIm2col(_ memory: LayerMemory) {
        let patches = memory.saved
        gatherPatches(from: memory.input, into: patches)
        matrixMultiply(patches, memory.parameters, into: memory.output,
                       m: outputPositions, n: filters, k: patchLength)
        addBiasAndActivate(activation.fused, values: memory.output, bias: bias(memory.parameters),
                           positions: outputPositions, channels: filters)
    }

    /// Expects `outputGradient` already through the activation and the bias gradient written.
    func backwardIm2col(_ memory: LayerMemory) {
        // kernelGradient[kh·kw·cin][filters] = patchesᵀ × outputGradient
        matrixMultiply(memory.saved, transposeA: true, memory.outputGradient, into: memory.parameterGradient,
                       m: patchLength, n: filters, k: outputPositions)
        guard let inputGradient = memory.inputGradient else { return }
        // patchGradient[positions][kh·kw·cin] = outputGradient × kernelᵀ, then scattered back onto the input.
        let patchGradient = memory.scratch
        matrixMultiply(memory.outputGradient, memory.parameters, transposeB: true, into: patchGradient,
                       m: outputPositions, n: patchLength, k: filters)
        scatterPatches(patchGradient, into: inputGradient)
    }

    /// Calls `body(patchOffset, inputOffset)` for every kernel tap of every output position, in the
    /// patch matrix's order; `inputOffset` (of the tap's input position) is nil where the tap falls in
    /// the zero padding. Both offsets count floats; each tap covers `inputShape.channels` of them.
    @inline(__always)
    private func forEachTap(_ body: (_ patchOffset: Int, _ inputOffset: Int?) -> Void) {
        let channels = inputShape.channels
        var patchOffset = 0
        for outputRow in 0..<outputShape.height {
            for outputColumn in 0..<outputShape.width {
                for kernelRow in 0..<kernelSize.height {
                    let row = outputRow * strides.height + kernelRow - paddingTop
                    for kernelColumn in 0..<kernelSize.width {
                        let column = outputColumn * strides.width + kernelColumn - paddingLeft
                        let inside = row >= 0 && row < inputShape.height && column >= 0 && column < inputShape.width
                        body(patchOffset, inside ? (row * inputShape.width + column) * channels : nil)
                        patchOffset += channels
                    }
                }
            }
        }
    }

    private func gatherPatches(from input: UnsafePointer<Float>, into patches: UnsafeMutablePointer<Float>) {
        let channels = inputShape.channels
        forEachTap { patchOffset, inputOffset in
            if let inputOffset {
                (patches + patchOffset).update(from: input + inputOffset, count: channels)
            } else {
                (patches + patchOffset).update(repeating: 0, count: channels)
            }
        }
    }

    /// The adjoint of `gatherPatches`: sums each patch entry into the input position it came from.
    private func scatterPatches(_ patches: UnsafePointer<Float>, into inputGradient: UnsafeMutablePointer<Float>) {
        let channels = inputShape.channels
        inputGradient.update(repeating: 0, count: inputShape.count)
        forEachTap { patchOffset, inputOffset in
            if let inputOffset { Elementwise.add(patches + patchOffset, into: inputGradient + inputOffset, count: channels) }
        }
    }
}
