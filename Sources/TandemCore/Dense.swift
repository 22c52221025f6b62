/// A fully connected layer, `output = activation(input · kernel + bias)`; Keras's `Dense`.
///
/// Parameters, in flat-buffer order: `kernel[inputs][units]` (Keras's layout), then `bias[units]` if
/// `useBias`. With a softmax (output layer only) the layer outputs logits; the softmax is fused into
/// `SoftmaxCrossEntropy`.
package struct Dense: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let units: Int
    package let activation: KerasActivation
    package let useBias: Bool
    package let kernelInitializer: Initializer
    package let biasInitializer: Initializer
    /// Any other activation Keras names (silu, gelu, …), after `activation` (then linear).
    package let trailing: TrailingActivation?

    package var outputShape: TensorShape { .vector(units) }
    package var kind: String { "Dense" }
    package var summaryDetail: String { outputActivation.name }
    package var outputActivation: PointwiseFunction { trailing?.function ?? PointwiseFunction(activation) }
    var inputs: Int { inputShape.count }

    package init(name: String = "dense", inputShape: TensorShape, units: Int, activation: KerasActivation,
                 useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                 trailing: TrailingActivation? = nil) throws {
        guard inputShape.isVector else {
            throw ModelDefinitionError("\(name): Dense needs a flat input; add Flatten or global pooling before it (got \(inputShape))")
        }
        guard units > 0 else { throw ModelDefinitionError("\(name): Dense needs a positive number of units") }
        self.name = name
        self.inputShape = inputShape
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.trailing = trailing
    }

    package static let kerasClassNames = ["Dense"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        let initializers = try configuration.kernelAndBiasInitializers()
        try configuration.require("lora_rank", isOneOf: [])
        let (activation, trailing) = try configuration.activation()
        try self.init(name: configuration.name, inputShape: inputShape,
                      units: try configuration.integer("units", in: 1...KerasLayerConfiguration.largestWidth),
                      activation: activation, useBias: try configuration.flag("use_bias", default: true),
                      kernelInitializer: initializers.kernel, biasInitializer: initializers.bias, trailing: trailing)
    }

    package var parameterBlocks: [ParameterBlock] {
        [ParameterBlock(name: "kernel", shape: [inputs, units])] + (useBias ? [ParameterBlock(name: "bias", shape: [units])] : [])
    }

    package var forwardMultiplyAdds: Int { inputs * units }

    /// The block's output gradient and input gradient, transposed (see `backward`).
    package func scratchCount(samples: Int) -> Int { samples * (units + inputs) }
    /// The trailing activation's input, for backward.
    package func savedCount(samples: Int) -> Int { trailing?.savedCount(outputs: samples * units) ?? 0 }

    package func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        kernelInitializer.fill(parameters.baseAddress!, count: inputs * units, fanIn: inputs, fanOut: units, generator: &generator)
        if useBias { biasInitializer.fill(parameters.baseAddress! + inputs * units, count: units, fanIn: units, fanOut: units, generator: &generator) }
    }

    /// `output[n][units] = input[n][inputs] · kernel + bias`: one GEMM for the block.
    package func forward(_ memory: LayerMemory) {
        let count = memory.count
        if useBias {
            let bias = memory.parameters + inputs * units
            for sample in 0..<count { (memory.output + sample * units).update(from: bias, count: units) }
        }
        matrixMultiply(memory.input, memory.parameters, into: memory.output, m: count, n: units, k: inputs,
                       beta: useBias ? 1 : 0)
        applyActivation(activation.hidden, from: memory.output, into: memory.output, count: count * units)
        trailing?.forward(memory.output, count: count * units, keeping: memory.saved)
    }

    /// `kernelGradient = inputᵀ · outputGradient` (one GEMM summing the block's samples), the bias gradient
    /// the samples' output gradients summed in order, and the input gradient
    /// `outputGradient · kernelᵀ`, computed transposed as `kernel · outputGradientᵀ`: the product with a
    /// transposed kernel runs at a third of the speed on a block of a few samples.
    package func backward(_ memory: LayerMemory) {
        let count = memory.count
        trailing?.backward(output: memory.output, gradient: memory.outputGradient, input: memory.saved, count: count * units)
        applyActivationGradient(activation.hidden, output: memory.output, gradient: memory.outputGradient,
                                into: memory.outputGradient, count: count * units)
        matrixMultiply(memory.input, transposeA: true, memory.outputGradient, into: memory.parameterGradient,
                       m: inputs, n: units, k: count)
        if useBias {
            sumOverPositions(memory.outputGradient, positions: count, channels: units,
                             into: memory.parameterGradient + inputs * units)
        }
        guard let inputGradient = memory.inputGradient else { return }
        let transposedOutputGradient = memory.scratch, transposedInputGradient = memory.scratch + count * units
        transpose(memory.outputGradient, rows: count, columns: units, into: transposedOutputGradient)
        matrixMultiply(memory.parameters, transposedOutputGradient, into: transposedInputGradient, m: inputs, n: count, k: units)
        transpose(transposedInputGradient, rows: inputs, columns: count, into: inputGradient)
    }
}

/// `destination[j][i] = source[i][j]` for a `rows × columns` row-major matrix.
@inline(__always)
func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into destination: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        for column in 0..<columns { destination[column * rows + row] = source[row * columns + column] }
    }
}
