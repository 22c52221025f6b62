/// How a `Conv2D` computes its products. Both give the same function to within rounding; each is
/// deterministic, so a given choice gives the same bits on every run and every rank.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
    /// Patches copied into a matrix, then one GEMM per pass. Any kernel size and padding.
    case im2col
    /// Winograd F(2×2, 3×3): 2.25× fewer multiplies. 3×3 kernels with `same` padding only.
    case winograd
}

/// A 2-D convolution, stride 1, with bias and activation; Keras's `Conv2D`.
///
/// Parameters, in flat-buffer order: `kernel` as `[kernelHeight][kernelWidth][inputChannels][filters]`
/// (Keras's HWIO layout), then `bias[filters]`.
public struct Conv2D: Layer {
    public let inputShape: TensorShape
    public let outputShape: TensorShape
    public let filters: Int
    public let kernelSize: Int
    public let padding: Padding
    public let activation: Activation
    public let algorithm: ConvolutionAlgorithm
    /// Zero rows above and columns left of the input (TensorFlow puts any odd extra at the bottom/right).
    let paddingTop: Int
    let paddingLeft: Int

    public var kind: String { "Conv2D" }

    public var specification: LayerSpecification {
        .conv2D(filters: filters, kernelSize: kernelSize, padding: padding, activation: activation)
    }

    /// - Parameter algorithm: `nil` picks Winograd where it applies and pays (3×3, `same`, more than
    ///   one input channel), im2col elsewhere.
    public init(inputShape: TensorShape, filters: Int, kernelSize: Int, padding: Padding,
                activation: Activation, algorithm: ConvolutionAlgorithm? = nil) throws {
        guard filters > 0, kernelSize > 0 else { throw ModelDefinitionError("Conv2D needs positive filters and kernel size") }
        let outputHeight = padding == .same ? inputShape.height : inputShape.height - kernelSize + 1
        let outputWidth = padding == .same ? inputShape.width : inputShape.width - kernelSize + 1
        guard outputHeight > 0, outputWidth > 0 else {
            throw ModelDefinitionError("Conv2D \(kernelSize)x\(kernelSize) 'valid' does not fit input \(inputShape)")
        }
        let winogradApplies = kernelSize == 3 && padding == .same
        let chosen = algorithm ?? (winogradApplies && inputShape.channels > 1 ? .winograd : .im2col)
        guard chosen != .winograd || winogradApplies else {
            throw ModelDefinitionError("Winograd convolution needs a 3x3 kernel and 'same' padding")
        }
        self.inputShape = inputShape
        self.outputShape = TensorShape(height: outputHeight, width: outputWidth, channels: filters)
        self.filters = filters
        self.kernelSize = kernelSize
        self.padding = padding
        self.activation = activation
        self.algorithm = chosen
        paddingTop = padding == .same ? (kernelSize - 1) / 2 : 0
        paddingLeft = paddingTop
    }

    var kernelCount: Int { kernelSize * kernelSize * inputShape.channels * filters }

    public var parameterBlocks: [ParameterBlock] {
        [ParameterBlock(name: "kernel", shape: [kernelSize, kernelSize, inputShape.channels, filters]),
         ParameterBlock(name: "bias", shape: [filters])]
    }

    public var forwardMultiplyAdds: Int { outputShape.height * outputShape.width * kernelSize * kernelSize * inputShape.channels * filters }

    public var preparedCount: Int { algorithm == .winograd ? winogradPreparedCount : 0 }
    public var savedCount: Int { algorithm == .winograd ? winogradSavedCount : im2colSavedCount }
    public var scratchCount: Int { algorithm == .winograd ? winogradScratchCount : im2colScratchCount }

    public func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        let receptiveField = kernelSize * kernelSize
        glorotUniform(parameters.baseAddress!, count: kernelCount,
                      fanIn: receptiveField * inputShape.channels, fanOut: receptiveField * filters,
                      generator: &generator)
        (parameters.baseAddress! + kernelCount).update(repeating: 0, count: filters)
    }

    public func prepare(parameters: UnsafePointer<Float>, prepared: UnsafeMutablePointer<Float>) {
        if algorithm == .winograd { prepareWinogradKernels(parameters: parameters, prepared: prepared) }
    }

    public func forward(_ memory: LayerMemory) {
        switch algorithm {
        case .im2col: forwardIm2col(memory)
        case .winograd: forwardWinograd(memory)
        }
    }

    public func backward(_ memory: LayerMemory) {
        applyActivationGradient(activation, output: memory.output, gradient: memory.outputGradient, count: outputShape.count)
        sumOverPositions(memory.outputGradient, positions: outputShape.height * outputShape.width, channels: filters,
                         into: memory.parameterGradient + kernelCount)
        switch algorithm {
        case .im2col: backwardIm2col(memory)
        case .winograd: backwardWinograd(memory)
        }
    }
}
