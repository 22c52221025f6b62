import CBLAS

/// A fully connected layer, `output = activation(input · kernel + bias)`; Keras's `Dense`.
///
/// Parameters, in flat-buffer order: `kernel[inputs][units]` (Keras's layout), then `bias[units]`.
/// With `activation: .softmax` (output layer only) the layer outputs logits; the softmax is fused
/// into `SoftmaxCrossEntropy`.
public struct Dense: Layer {
    public let inputShape: TensorShape
    public let units: Int
    public let activation: OutputActivation

    public var outputShape: TensorShape { .vector(units) }
    public var kind: String { "Dense" }
    public var specification: LayerSpecification { .dense(units: units, activation: activation) }
    var inputs: Int { inputShape.count }

    public init(inputShape: TensorShape, units: Int, activation: OutputActivation) throws {
        guard inputShape.isVector else { throw ModelDefinitionError("Dense needs a flat input; add flatten before it (got \(inputShape))") }
        guard units > 0 else { throw ModelDefinitionError("Dense needs a positive number of units") }
        self.inputShape = inputShape
        self.units = units
        self.activation = activation
    }

    public var parameterBlocks: [ParameterBlock] {
        [ParameterBlock(name: "kernel", shape: [inputs, units]), ParameterBlock(name: "bias", shape: [units])]
    }

    public var forwardMultiplyAdds: Int { inputs * units }

    public func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        glorotUniform(parameters.baseAddress!, count: inputs * units, fanIn: inputs, fanOut: units, generator: &generator)
        (parameters.baseAddress! + inputs * units).update(repeating: 0, count: units)
    }

    private var hiddenActivation: Activation { activation == .relu ? .relu : .linear }

    public func forward(_ memory: LayerMemory) {
        let kernel = memory.parameters, bias = memory.parameters + inputs * units
        memory.output.update(from: bias, count: units)
        // output[units] += kernelᵀ · input
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(inputs), Int32(units), 1, kernel, Int32(units),
                    memory.input, 1, 1, memory.output, 1)
        if hiddenActivation == .relu {
            for unit in 0..<units { memory.output[unit] = memory.output[unit].clampedBelowAtZero() }
        }
    }

    public func backward(_ memory: LayerMemory) {
        applyActivationGradient(hiddenActivation, output: memory.output, gradient: memory.outputGradient, count: units)
        let outputGradient = memory.outputGradient
        // kernelGradient[i][u] = input[i] · outputGradient[u]; biasGradient = outputGradient.
        for input in 0..<inputs {
            let row = memory.parameterGradient + input * units
            let value = memory.input[input]
            for unit in 0..<units { row[unit] = value * outputGradient[unit] }
        }
        (memory.parameterGradient + inputs * units).update(from: outputGradient, count: units)
        if let inputGradient = memory.inputGradient {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(inputs), Int32(units), 1, memory.parameters, Int32(units),
                        outputGradient, 1, 0, inputGradient, 1)
        }
    }
}
