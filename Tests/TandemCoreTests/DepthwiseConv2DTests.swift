import Testing
@testable import TandemCore

/// The depthwise kernels (C, row by row with sums in registers) against the plain loop they replace.
struct DepthwiseConv2DTests {
    /// Forward, input gradient and kernel gradient of a depth-multiplier-1 layer the plain way: output
    /// positions in row-major order, each one's taps in row-major order, padding taps skipped, every
    /// value's terms added in that order from 0, linear activation, no bias.
    static func reference(_ layer: DepthwiseConv2D, harness: LayerHarness, outputGradient: [Float])
        -> (output: [Float], input: [Float], kernel: [Float]) {
        let channels = layer.inputShape.channels, area = layer.kernelSize.area
        var output = [Float](repeating: 0, count: harness.count * layer.outputShape.count)
        var input = [Float](repeating: 0, count: harness.count * layer.inputShape.count)
        var kernel = [Float](repeating: 0, count: layer.kernelCount)
        for sample in 0..<harness.count {
            let inputBase = sample * layer.inputShape.count, outputBase = sample * layer.outputShape.count
            layer.windows.forEachTap { tap, position in
                guard let position else { return }
                let outputOffset = outputBase + tap / area * channels, inputOffset = inputBase + position * channels
                let kernelOffset = tap % area * channels
                for channel in 0..<channels {
                    output[outputOffset + channel] += harness.input[inputOffset + channel] * harness.parameters[kernelOffset + channel]
                    kernel[kernelOffset + channel] += outputGradient[outputOffset + channel] * harness.input[inputOffset + channel]
                    input[inputOffset + channel] += outputGradient[outputOffset + channel] * harness.parameters[kernelOffset + channel]
                }
            }
        }
        return (output, input, kernel)
    }

    @Test("The depthwise kernels give the plain tap loop's outputs and gradients bit for bit (3x3, 5x5, 1x7, strides, dilation, padding, channels that are and are not multiples of 16)",
          arguments: [(kernel: 3 as Extent2D, strides: 1 as Extent2D, dilation: 1 as Extent2D, padding: Padding.same, channels: 37),
                      (3, 2, 1, .same, 16), (3, 1, 2, .valid, 5), (5, Extent2D(height: 2, width: 1), 1, .same, 40),
                      (Extent2D(height: 1, width: 7), 1, 1, .same, 64)])
    func kernelsKeepTheOrder(kernel: Extent2D, strides: Extent2D, dilation: Extent2D, padding: Padding, channels: Int) throws {
        let layer = try DepthwiseConv2D(inputShape: TensorShape(height: 9, width: 8, channels: channels), kernelSize: kernel,
                                        strides: strides, dilation: dilation, padding: padding, useBias: false)
        let harness = LayerHarness(layer, count: 3, seed: 8)
        let outputGradient = randomValues(3 * layer.outputShape.count, seed: 9)
        let expected = Self.reference(layer, harness: harness, outputGradient: outputGradient)
        #expect(harness.forward().map(\.bitPattern) == expected.output.map(\.bitPattern))
        let gradients = harness.backward(outputGradient: outputGradient)
        #expect(gradients.input.map(\.bitPattern) == expected.input.map(\.bitPattern))
        #expect(gradients.parameters.map(\.bitPattern) == expected.kernel.map(\.bitPattern))
    }
}
