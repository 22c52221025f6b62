/// How a `Conv2D` computes its products. All give the same function to within rounding; each is
/// deterministic, so a given choice gives the same bits on every run and every rank.
package enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
    /// Patches copied into a matrix, then one GEMM per pass. Any kernel size, stride and padding.
    case im2col
    /// Winograd F(2×2, 3×3): 2.25× fewer multiplies. 3×3 kernels, stride 1, `same` padding only.
    case winograd
    /// Winograd F(4×4, 3×3): 4× fewer multiplies, for the same kernels; its transforms are larger and
    /// round a little more (within 1e-4 of a direct convolution in the tests), and it keeps the rotated
    /// kernels' transform too, 8 floats per kernel weight.
    case winograd4x4
    /// One GEMM per kernel tap over the output positions where it lands inside the input: only the
    /// multiplies that do not meet padding. Any kernel size, stride and padding; pays on planes not much
    /// larger than the kernel (`TapConvolution.swift`).
    case taps

    var isWinograd: Bool { self == .winograd || self == .winograd4x4 }
}

/// A height and a width: a kernel, a stride, a pool window. `3` means 3×3.
package struct Extent2D: Equatable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    package let height: Int
    package let width: Int
    package init(height: Int, width: Int) { self.height = height; self.width = width }
    package init(integerLiteral value: Int) { self.init(height: value, width: value) }
    package var area: Int { height * width }
    package var description: String { "\(height)x\(width)" }
}

/// A 2-D convolution with optional bias and an activation; Keras's `Conv2D` (channels last, no
/// groups). A dilated kernel (`dilation_rate`) reads every `dilation`-th row and column: its window
/// spans `(kernel − 1) · dilation + 1`.
///
/// Parameters, in flat-buffer order: `kernel` as `[kernelHeight][kernelWidth][inputChannels][filters]`
/// (Keras's HWIO layout), then `bias[filters]` if `useBias`.
package struct Conv2D: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let outputShape: TensorShape
    package let filters: Int
    package let kernelSize: Extent2D
    package let strides: Extent2D
    package let dilation: Extent2D
    package let padding: Padding
    package let activation: Activation
    package let useBias: Bool
    package let kernelInitializer: Initializer
    package let biasInitializer: Initializer
    package let algorithm: ConvolutionAlgorithm
    /// Any other activation Keras names (silu, gelu, …), after `activation` (then linear).
    package let trailing: TrailingActivation?
    /// Where each output position's kernel taps fall on the input.
    let windows: ConvolutionWindows

    package var kind: String { "Conv2D" }
    package var summaryDetail: String {
        "\(outputActivation.name), \(algorithm.rawValue)" + (dilation == 1 ? "" : ", dilation \(dilation)")
    }
    /// The extent of the input one output reads: the kernel, spread by the dilation.
    package var window: Extent2D { ConvolutionWindows.window(kernel: kernelSize, dilation: dilation) }
    package var outputActivation: PointwiseFunction { trailing?.function ?? PointwiseFunction(.hidden(activation)) }

    /// - Parameter algorithm: `nil` picks tap by tap where at least half of a direct convolution's
    ///   multiplies would meet padding (a 3×3 kernel on a 2×2 or 1×1 plane); otherwise Winograd where it
    ///   applies and pays (3×3, stride 1, `same`, more than one input channel; F(4×4) for kernels of up
    ///   to 128×128 channels on planes of at least 3×3, where its fewer multiplies outweigh its larger
    ///   transforms and its memory is small, F(2×2) for the others), im2col elsewhere.
    package init(name: String = "conv2d", inputShape: TensorShape, filters: Int, kernelSize: Extent2D, strides: Extent2D = 1,
                 dilation: Extent2D = 1, padding: Padding, activation: Activation, useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform,
                 biasInitializer: Initializer = .zeros, algorithm: ConvolutionAlgorithm? = nil, trailing: TrailingActivation? = nil) throws {
        guard filters > 0 else { throw ModelDefinitionError("\(name): Conv2D needs a positive number of filters") }
        let windows = try ConvolutionWindows(input: inputShape, kernel: kernelSize, strides: strides, dilation: dilation,
                                             padding: padding, layer: name)
        let winogradApplies = kernelSize == 3 && strides == 1 && dilation == 1 && padding == .same
        let largeTilesPay = inputShape.channels * filters <= 128 * 128 && min(inputShape.height, inputShape.width) >= 3
        let mostlyPadding = 2 * windows.insidePairs <= kernelSize.area * windows.outputHeight * windows.outputWidth
        let chosen = algorithm ?? (mostlyPadding ? .taps
            : winogradApplies && inputShape.channels > 1 ? (largeTilesPay ? .winograd4x4 : .winograd) : .im2col)
        guard !chosen.isWinograd || winogradApplies else {
            throw ModelDefinitionError("\(name): Winograd convolution needs a 3x3 kernel, stride 1, no dilation and 'same' padding")
        }
        self.name = name
        self.inputShape = inputShape
        self.outputShape = TensorShape(height: windows.outputHeight, width: windows.outputWidth, channels: filters)
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.dilation = dilation
        self.padding = padding
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.algorithm = chosen
        self.windows = windows
        self.trailing = trailing
    }

    package static let kerasClassNames = ["Conv2D"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        let widths = 1...KerasLayerConfiguration.largestWidth, extents = 1...KerasLayerConfiguration.largestExtent
        try configuration.requireChannelsLast()
        try configuration.require("groups", isOneOf: [.number(1)])
        let dilation = try configuration.pair("dilation_rate", default: (1, 1), in: extents)
        let initializers = try configuration.kernelAndBiasInitializers()
        let kernel = try configuration.pair("kernel_size", in: extents)
        let strides = try configuration.pair("strides", default: (1, 1), in: extents)
        let (activation, trailing) = try configuration.activation()
        guard !activation.isSoftmax else { throw configuration.error("activation 'softmax' is not supported on Conv2D") }
        try self.init(name: configuration.name, inputShape: inputShape,
                      filters: try configuration.integer("filters", in: widths),
                      kernelSize: Extent2D(height: kernel.0, width: kernel.1),
                      strides: Extent2D(height: strides.0, width: strides.1),
                      dilation: Extent2D(height: dilation.0, width: dilation.1),
                      padding: try configuration.padding(), activation: activation.hidden,
                      useBias: try configuration.flag("use_bias", default: true), kernelInitializer: initializers.kernel,
                      biasInitializer: initializers.bias, algorithm: context.convolution.flatMap {
                          $0.isWinograd && !(kernel == (3, 3) && strides == (1, 1) && dilation == (1, 1)) ? .im2col : $0
                      }, trailing: trailing)
    }

    var kernelCount: Int { kernelSize.area * inputShape.channels * filters }
    /// The bias, or nil without one.
    func bias(_ parameters: UnsafePointer<Float>) -> UnsafePointer<Float>? { useBias ? parameters + kernelCount : nil }

    package var parameterBlocks: [ParameterBlock] {
        [ParameterBlock(name: "kernel", shape: [kernelSize.height, kernelSize.width, inputShape.channels, filters])]
            + (useBias ? [ParameterBlock(name: "bias", shape: [filters])] : [])
    }

    package var forwardMultiplyAdds: Int { outputShape.height * outputShape.width * kernelSize.area * inputShape.channels * filters }

    package var preparedCount: Int { algorithm.isWinograd ? winogradPreparedCount : 0 }
    package func savedCount(samples: Int) -> Int {
        algorithmSavedCount(samples: samples) + (trailing?.savedCount(outputs: samples * outputShape.count) ?? 0)
    }
    /// What the algorithm keeps; the trailing activation's input follows it.
    private func algorithmSavedCount(samples: Int) -> Int {
        switch algorithm {
        case .im2col: im2colSavedCount(samples: samples)
        case .winograd, .winograd4x4: winogradSavedCount(samples: samples)
        case .taps: tapsSavedCount(samples: samples)
        }
    }
    package func scratchCount(samples: Int) -> Int {
        switch algorithm {
        case .im2col: im2colScratchCount(samples: samples)
        case .winograd, .winograd4x4: winogradScratchCount(samples: samples)
        case .taps: tapsScratchCount(samples: samples)
        }
    }

    package func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        kernelInitializer.fill(parameters.baseAddress!, count: kernelCount, fanIn: kernelSize.area * inputShape.channels,
                               fanOut: kernelSize.area * filters, generator: &generator)
        if useBias {
            biasInitializer.fill(parameters.baseAddress! + kernelCount, count: filters, fanIn: filters, fanOut: filters, generator: &generator)
        }
    }

    package func prepare(parameters: UnsafePointer<Float>, prepared: UnsafeMutablePointer<Float>) {
        if algorithm.isWinograd { prepareWinogradKernels(parameters: parameters, prepared: prepared) }
    }

    package func forward(_ memory: LayerMemory) {
        switch algorithm {
        case .im2col: forwardIm2col(memory)
        case .winograd, .winograd4x4: forwardWinograd(memory)
        case .taps: forwardTaps(memory)
        }
        applyUnfusedActivation(activation, values: memory.output, count: memory.count * outputShape.count)
        trailing?.forward(memory.output, count: memory.count * outputShape.count,
                          keeping: memory.saved + algorithmSavedCount(samples: memory.count))
    }

    package func backward(_ memory: LayerMemory) {
        let count = memory.count
        trailing?.backward(output: memory.output, gradient: memory.outputGradient,
                           input: memory.saved + algorithmSavedCount(samples: count), count: count * outputShape.count)
        applyActivationGradient(activation, output: memory.output, gradient: memory.outputGradient,
                                into: memory.outputGradient, count: count * outputShape.count)
        if useBias {
            sumOverPositions(memory.outputGradient, positions: count * outputShape.height * outputShape.width, channels: filters,
                             into: memory.parameterGradient + kernelCount)
        }
        switch algorithm {
        case .im2col: backwardIm2col(memory)
        case .winograd, .winograd4x4: backwardWinograd(memory)
        case .taps: backwardTaps(memory)
        }
    }
}
