import CBLAS

/// A fully connected layer, `output = activation(input · kernel + bias)`; Keras's `Dense`.
///
/// Parameters, in flat-buffer order: `kernel[inputs][units]` (Keras's layout), then `bias[units]` if
/// `useBias`. With a softmax (output layer only) the layer outputs logits; the softmax is fused into
/// `SoftmaxCrossEntropy`.
public struct Dense: KerasLayer {
    public let name: String
    public let inputShape: TensorShape
    public let units: Int
    public let activation: KerasActivation
    public let useBias: Bool

    public var outputShape: TensorShape { .vector(units) }
    public var kind: String { "Dense" }
    public var summaryDetail: String { activation.isSoftmax ? "softmax" : activation.hidden.rawValue }
    public var endsInSoftmax: Bool { activation.isSoftmax }
    var inputs: Int { inputShape.count }

    public init(name: String = "dense", inputShape: TensorShape, units: Int, activation: KerasActivation,
                useBias: Bool = true) throws {
        guard inputShape.isVector else {
            throw ModelDefinitionError("\(name): Dense needs a flat input; add Flatten or global pooling before it (got \(inputShape))")
        }
        guard units > 0 else { throw ModelDefinitionError("\(name): Dense needs a positive number of units") }
        self.name = name
        self.inputShape = inputShape
        self.units = units
        self.activation = activation
        self.useBias = useBias
    }

    public static let kerasClassNames = ["Dense"]

    public init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireDefaultInitializersAndNoRegularizers()
        try configuration.require("lora_rank", isOneOf: [])
        try self.init(name: configuration.name, inputShape: inputShape,
                      units: try configuration.integer("units", in: 1...KerasLayerConfiguration.largestWidth),
                      activation: try configuration.activation(), useBias: try configuration.flag("use_bias", default: true))
    }

    public var parameterBlocks: [ParameterBlock] {
        [ParameterBlock(name: "kernel", shape: [inputs, units])] + (useBias ? [ParameterBlock(name: "bias", shape: [units])] : [])
    }

    public var forwardMultiplyAdds: Int { inputs * units }

    public func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        glorotUniform(parameters.baseAddress!, count: inputs * units, fanIn: inputs, fanOut: units, generator: &generator)
        if useBias { (parameters.baseAddress! + inputs * units).update(repeating: 0, count: units) }
    }

    public func forward(_ memory: LayerMemory) {
        let kernel = memory.parameters
        if useBias {
            memory.output.update(from: memory.parameters + inputs * units, count: units)
        } else {
            memory.output.update(repeating: 0, count: units)
        }
        // output[units] += kernelᵀ · input
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(inputs), Int32(units), 1, kernel, Int32(units),
                    memory.input, 1, 1, memory.output, 1)
        applyActivation(activation.hidden, from: memory.output, into: memory.output, count: units)
    }

    public func backward(_ memory: LayerMemory) {
        applyActivationGradient(activation.hidden, output: memory.output, gradient: memory.outputGradient,
                                into: memory.outputGradient, count: units)
        let outputGradient = memory.outputGradient
        // kernelGradient[i][u] = input[i] · outputGradient[u]; biasGradient = outputGradient.
        for input in 0..<inputs {
            let row = memory.parameterGradient + input * units
            let value = memory.input[input]
            for unit in 0..<units { row[unit] = value * outputGradient[unit] }
        }
        if useBias { (memory.parameterGradient + inputs * units).update(from: outputGradient, count: units) }
        if let inputGradient = memory.inputGradient {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(inputs), Int32(units), 1, memory.parameters, Int32(units),
                        outputGradient, 1, 0, inputGradient, 1)
        }
    }
}
