/// Convolution as matrix multiplication over copied patches ("im2col").
///
/// With HWC activations and an HWIO kernel, one sample's convolution is
/// `output[positions][filters] = patches[positions][kh·kw·cin] × kernel[kh·kw·cin][filters]`,
/// where row `p` of `patches` holds the receptive field of output position `p` (zeros outside the input).
extension Conv2D {
    var patchLength: Int { kernelSize * kernelSize * inputShape.channels }
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
        addBiasAndActivate(activation, values: memory.output, bias: memory.parameters + kernelCount,
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

    /// The input rows a kernel row `kernelRow` touches for output row `outputRow`, or nil if outside.
    @inline(__always)
    private func inputRow(_ outputRow: Int, _ kernelRow: Int) -> Int? {
        let row = outputRow + kernelRow - paddingTop
        return row >= 0 && row < inputShape.height ? row : nil
    }

    private func gatherPatches(from input: UnsafePointer<Float>, into patches: UnsafeMutablePointer<Float>) {
        let channels = inputShape.channels, width = inputShape.width
        for outputRow in 0..<outputShape.height {
            for outputColumn in 0..<outputShape.width {
                var patch = patches + (outputRow * outputShape.width + outputColumn) * patchLength
                for kernelRow in 0..<kernelSize {
                    let row = inputRow(outputRow, kernelRow)
                    for kernelColumn in 0..<kernelSize {
                        let column = outputColumn + kernelColumn - paddingLeft
                        if let row, column >= 0, column < width {
                            patch.update(from: input + (row * width + column) * channels, count: channels)
                        } else {
                            patch.update(repeating: 0, count: channels)
                        }
                        patch += channels
                    }
                }
            }
        }
    }

    /// The adjoint of `gatherPatches`: sums each patch entry into the input position it came from.
    private func scatterPatches(_ patches: UnsafePointer<Float>, into inputGradient: UnsafeMutablePointer<Float>) {
        let channels = inputShape.channels, width = inputShape.width
        inputGradient.update(repeating: 0, count: inputShape.count)
        for outputRow in 0..<outputShape.height {
            for outputColumn in 0..<outputShape.width {
                var patch = patches + (outputRow * outputShape.width + outputColumn) * patchLength
                for kernelRow in 0..<kernelSize {
                    let row = inputRow(outputRow, kernelRow)
                    for kernelColumn in 0..<kernelSize {
                        let column = outputColumn + kernelColumn - paddingLeft
                        if let row, column >= 0, column < width {
                            let target = inputGradient + (row * width + column) * channels
                            for channel in 0..<channels { target[channel] += patch[channel] }
                        }
                        patch += channels
                    }
                }
            }
        }
    }
}
