import CTandemKernels

/// Keras's `DepthwiseConv2D`: each input channel convolved with its own `depthMultiplier` kernels, no
/// mixing across channels (MobileNet's and EfficientNet's spatial convolution). Output channel
/// `c · depthMultiplier + m` is input channel `c` through kernel `m`.
///
/// Parameters, in flat-buffer order: `depthwise_kernel` as `[kernelHeight][kernelWidth][channels]
/// [depthMultiplier]` (Keras's layout), then `bias[channels · depthMultiplier]` if `useBias`. A direct
/// loop over the taps, channels innermost (contiguous in NHWC); every sum runs in a fixed order: output
/// positions in row-major order, each one's taps in row-major order. With one kernel per channel (the
/// usual case) the loops are the C kernels `tandem_depthwise_forward`/`backward`, which keep that order.
package struct DepthwiseConv2D: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let outputShape: TensorShape
    package let depthMultiplier: Int
    package let kernelSize: Extent2D
    package let strides: Extent2D
    package let dilation: Extent2D
    package let padding: Padding
    package let activation: Activation
    package let useBias: Bool
    package let kernelInitializer: Initializer
    package let biasInitializer: Initializer
    /// Any other activation Keras names (silu, gelu, …), after `activation` (then linear).
    package let trailing: TrailingActivation?
    let windows: ConvolutionWindows

    package var kind: String { "DepthwiseConv2D" }
    package var summaryDetail: String { outputActivation.name + (dilation == 1 ? "" : ", dilation \(dilation)") }
    package var outputActivation: PointwiseFunction { trailing?.function ?? PointwiseFunction(.hidden(activation)) }
    /// The trailing activation's input, for backward.
    package func savedCount(samples: Int) -> Int { trailing?.savedCount(outputs: samples * outputShape.count) ?? 0 }
    /// The extent of the input one output reads: the kernel, spread by the dilation.
    package var window: Extent2D { ConvolutionWindows.window(kernel: kernelSize, dilation: dilation) }

    package init(name: String = "depthwise_conv2d", inputShape: TensorShape, kernelSize: Extent2D, depthMultiplier: Int = 1,
                 strides: Extent2D = 1, dilation: Extent2D = 1, padding: Padding, activation: Activation = .linear,
                 useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                 trailing: TrailingActivation? = nil) throws {
        guard depthMultiplier > 0 else { throw ModelDefinitionError("\(name): DepthwiseConv2D needs a positive depth multiplier") }
        windows = try ConvolutionWindows(input: inputShape, kernel: kernelSize, strides: strides, dilation: dilation,
                                         padding: padding, layer: name)
        self.name = name
        self.inputShape = inputShape
        outputShape = TensorShape(height: windows.outputHeight, width: windows.outputWidth, channels: inputShape.channels * depthMultiplier)
        self.depthMultiplier = depthMultiplier
        self.kernelSize = kernelSize
        self.strides = strides
        self.dilation = dilation
        self.padding = padding
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.trailing = trailing
    }

    package static let kerasClassNames = ["DepthwiseConv2D"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try self.init(keras: configuration, inputShape: inputShape, kernelKey: "depthwise")
    }

    /// Reads the options `DepthwiseConv2D` and `SeparableConv2D` share; `kernelKey` names the depthwise
    /// kernel in its initialiser's key (`depthwise_initializer`).
    init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, kernelKey: String,
         activation: Activation? = nil, useBias: Bool? = nil) throws {
        let extents = 1...KerasLayerConfiguration.largestExtent
        try configuration.requireChannelsLast()
        let kernel = try configuration.pair("kernel_size", in: extents)
        let strides = try configuration.pair("strides", default: (1, 1), in: extents)
        let dilation = try configuration.pair("dilation_rate", default: (1, 1), in: extents)
        let initializers = try configuration.kernelAndBiasInitializers(kernel: kernelKey)
        let (kerasActivation, trailing) = try configuration.activation()
        guard !kerasActivation.isSoftmax else { throw configuration.error("activation 'softmax' is not supported on \(configuration.className)") }
        try self.init(name: configuration.name, inputShape: inputShape,
                      kernelSize: Extent2D(height: kernel.0, width: kernel.1),
                      depthMultiplier: try configuration.integer("depth_multiplier", default: 1, in: 1...KerasLayerConfiguration.largestWidth),
                      strides: Extent2D(height: strides.0, width: strides.1), dilation: Extent2D(height: dilation.0, width: dilation.1),
                      padding: try configuration.padding(), activation: activation ?? kerasActivation.hidden,
                      useBias: try useBias ?? configuration.flag("use_bias", default: true),
                      kernelInitializer: initializers.kernel, biasInitializer: initializers.bias,
                      trailing: activation == nil ? trailing : nil)
    }

    var kernelCount: Int { kernelSize.area * inputShape.channels * depthMultiplier }

    package var parameterBlocks: [ParameterBlock] {
        [ParameterBlock(name: "depthwise_kernel", shape: [kernelSize.height, kernelSize.width, inputShape.channels, depthMultiplier])]
            + (useBias ? [ParameterBlock(name: "bias", shape: [outputShape.channels])] : [])
    }

    package var forwardMultiplyAdds: Int { outputShape.count * kernelSize.area }

    package func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        // Keras's fans for a (kh, kw, channels, multiplier) kernel.
        kernelInitializer.fill(parameters.baseAddress!, count: kernelCount, fanIn: kernelSize.area * inputShape.channels,
                               fanOut: kernelSize.area * depthMultiplier, generator: &generator)
        if useBias {
            biasInitializer.fill(parameters.baseAddress! + kernelCount, count: outputShape.channels, fanIn: outputShape.channels,
                                 fanOut: outputShape.channels, generator: &generator)
        }
    }

    /// For each output position of one sample and each of its taps inside the input: `body(output
    /// offset, input offset, kernel offset)`, in floats, each covering the tap's channels.
    @inline(__always)
    private func forEachTap(_ body: (_ output: Int, _ input: Int, _ kernel: Int) -> Void) {
        let channels = inputShape.channels, outputChannels = outputShape.channels, area = kernelSize.area
        windows.forEachTap { tap, position in
            guard let position else { return }
            body(tap / area * outputChannels, position * channels, tap % area * outputChannels)
        }
    }

    package func forward(_ memory: LayerMemory) {
        let channels = inputShape.channels, multiplier = depthMultiplier, outputChannels = outputShape.channels
        var kernelWindows = windows.kernelWindows(channels: channels)
        for sample in 0..<memory.count {
            let input = memory.input + sample * inputShape.count, output = memory.output + sample * outputShape.count
            guard multiplier > 1 else {
                tandem_depthwise_forward(&kernelWindows, input, memory.parameters, output)
                continue
            }
            output.update(repeating: 0, count: outputShape.count)
            forEachTap { outputOffset, inputOffset, kernelOffset in
                let kernel = memory.parameters + kernelOffset, target = output + outputOffset, source = input + inputOffset
                for channel in 0..<outputChannels { target[channel] += source[channel / multiplier] * kernel[channel] }
            }
        }
        let positions = memory.count * outputShape.height * outputShape.width
        addBiasAndActivate(activation.fused, values: memory.output, bias: useBias ? memory.parameters + kernelCount : nil,
                           positions: positions, channels: outputChannels)
        applyUnfusedActivation(activation, values: memory.output, count: memory.count * outputShape.count)
        trailing?.forward(memory.output, count: memory.count * outputShape.count, keeping: memory.saved)
    }

    package func backward(_ memory: LayerMemory) {
        let channels = inputShape.channels, multiplier = depthMultiplier, outputChannels = outputShape.channels
        let gradient = memory.outputGradient
        trailing?.backward(output: memory.output, gradient: gradient, input: memory.saved, count: memory.count * outputShape.count)
        applyActivationGradient(activation, output: memory.output, gradient: gradient, into: gradient, count: memory.count * outputShape.count)
        if useBias {
            sumOverPositions(gradient, positions: memory.count * outputShape.height * outputShape.width, channels: outputChannels,
                             into: memory.parameterGradient + kernelCount)
        }
        let kernelGradient = memory.parameterGradient
        kernelGradient.update(repeating: 0, count: kernelCount)
        var kernelWindows = windows.kernelWindows(channels: channels)
        for sample in 0..<memory.count {
            let input = memory.input + sample * inputShape.count, outputGradient = gradient + sample * outputShape.count
            let inputGradient = memory.inputGradient.map { $0 + sample * inputShape.count }
            guard multiplier > 1 else {
                tandem_depthwise_backward(&kernelWindows, input, memory.parameters, outputGradient, kernelGradient, inputGradient)
                continue
            }
            inputGradient?.update(repeating: 0, count: inputShape.count)
            forEachTap { outputOffset, inputOffset, kernelOffset in
                let dy = outputGradient + outputOffset, x = input + inputOffset, kernel = memory.parameters + kernelOffset
                let dk = kernelGradient + kernelOffset
                for channel in 0..<outputChannels { dk[channel] += dy[channel] * x[channel / multiplier] }
                if let dx = inputGradient.map({ $0 + inputOffset }) {
                    for channel in 0..<outputChannels { dx[channel / multiplier] += dy[channel] * kernel[channel] }
                }
            }
        }
    }
}
