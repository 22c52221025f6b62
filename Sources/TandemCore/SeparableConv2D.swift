/// Keras's `SeparableConv2D`: a depthwise convolution (each channel its own `depthMultiplier` kernels,
/// no bias) followed by a pointwise 1×1 convolution that mixes the channels, with the bias and the
/// activation — the two layers Keras fuses, run one after the other. Its weights are Keras's:
/// `depthwise_kernel`, `pointwise_kernel` (1, 1, channels · multiplier, filters), then `bias`.
package struct SeparableConv2D: KerasLayer {
    package let name: String
    package let depthwise: DepthwiseConv2D
    package let pointwise: Conv2D

    package var inputShape: TensorShape { depthwise.inputShape }
    package var outputShape: TensorShape { pointwise.outputShape }
    package var kind: String { "SeparableConv2D" }
    package var summaryDetail: String { pointwise.outputActivation.name + (depthwise.dilation == 1 ? "" : ", dilation \(depthwise.dilation)") }
    package var outputActivation: PointwiseFunction { pointwise.outputActivation }

    package static let kerasClassNames = ["SeparableConv2D"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        depthwise = try DepthwiseConv2D(keras: configuration, inputShape: inputShape, kernelKey: "depthwise", activation: .linear, useBias: false)
        let initializers = try configuration.kernelAndBiasInitializers(kernel: "pointwise")
        let (activation, trailing) = try configuration.activation()
        pointwise = try Conv2D(name: configuration.name, inputShape: depthwise.outputShape,
                               filters: try configuration.integer("filters", in: 1...KerasLayerConfiguration.largestWidth),
                               kernelSize: 1, padding: .valid, activation: activation.hidden,
                               useBias: try configuration.flag("use_bias", default: true),
                               kernelInitializer: initializers.kernel, biasInitializer: initializers.bias, algorithm: .im2col,
                               trailing: trailing)
        name = configuration.name
    }

    package var parameterBlocks: [ParameterBlock] {
        depthwise.parameterBlocks + pointwise.parameterBlocks.map {
            $0.name == "kernel" ? ParameterBlock(name: "pointwise_kernel", shape: $0.shape) : $0
        }
    }

    package var forwardMultiplyAdds: Int { depthwise.forwardMultiplyAdds + pointwise.forwardMultiplyAdds }

    /// `saved` holds the depthwise output, its gradient, then the pointwise convolution's own.
    private func intermediateCount(samples: Int) -> Int { samples * depthwise.outputShape.count }
    package func savedCount(samples: Int) -> Int { 2 * intermediateCount(samples: samples) + pointwise.savedCount(samples: samples) }
    package func scratchCount(samples: Int) -> Int { max(depthwise.scratchCount(samples: samples), pointwise.scratchCount(samples: samples)) }

    package func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        depthwise.initialize(parameters: UnsafeMutableBufferPointer(rebasing: parameters[..<depthwise.parameterCount]), generator: &generator)
        pointwise.initialize(parameters: UnsafeMutableBufferPointer(rebasing: parameters[depthwise.parameterCount...]), generator: &generator)
    }

    /// The two halves' memory: the depthwise output (and its gradient) is the pointwise input.
    private func halves(_ memory: LayerMemory) -> (depthwise: LayerMemory, pointwise: LayerMemory) {
        let intermediate = memory.saved, intermediateGradient = memory.saved + intermediateCount(samples: memory.count)
        var first = memory, second = memory
        first.output = intermediate
        first.outputGradient = intermediateGradient
        second.input = intermediate
        second.inputGradient = intermediateGradient
        second.parameters = memory.parameters + depthwise.parameterCount
        second.parameterGradient = memory.parameterGradient + depthwise.parameterCount
        second.saved = intermediateGradient + intermediateCount(samples: memory.count)
        return (first, second)
    }

    package func forward(_ memory: LayerMemory) {
        let (first, second) = halves(memory)
        depthwise.forward(first)
        pointwise.forward(second)
    }

    package func backward(_ memory: LayerMemory) {
        let (first, second) = halves(memory)
        pointwise.backward(second)
        depthwise.backward(first)
    }
}
