/// An element-wise function on its own: Keras's `Activation` (any function `PointwiseFunction` knows;
/// softmax as the last layer only), `ReLU` (max_value, negative_slope, threshold), `LeakyReLU`, `ELU`,
/// and `Softmax` over the last axis (the last layer only).
package struct ActivationLayer: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let function: PointwiseFunction
    /// The Keras class it was built from, for `tandem summary`.
    package let kind: String

    package var outputShape: TensorShape { inputShape }
    package var summaryDetail: String { function.name }
    package var outputActivation: PointwiseFunction { function }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "activation", inputShape: TensorShape, function: PointwiseFunction, kind: String = "Activation") {
        self.name = name
        self.inputShape = inputShape
        self.function = function
        self.kind = kind
    }

    package init(name: String = "activation", inputShape: TensorShape, activation: KerasActivation) {
        self.init(name: name, inputShape: inputShape, function: PointwiseFunction(activation))
    }

    package static let kerasClassNames = ["Activation", "ReLU", "LeakyReLU", "ELU", "Softmax"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        let function: PointwiseFunction
        switch configuration.className {
        case "ReLU":
            let maximum = try configuration.optionalNumber("max_value", in: 0...Double(Float.greatestFiniteMagnitude))
            function = .rectifying(maximum: maximum.map(Float.init),
                                   negativeSlope: Float(try configuration.number("negative_slope", default: 0, in: 0...1e6)),
                                   threshold: Float(try configuration.number("threshold", default: 0, in: 0...1e6)))
        case "LeakyReLU":   // Keras 3 says negative_slope, Keras 2 alpha
            let key = configuration.config["negative_slope"] == nil && configuration.config["alpha"] != nil ? "alpha" : "negative_slope"
            function = .rectifying(maximum: nil, negativeSlope: Float(try configuration.number(key, default: 0.3, in: 0...1e6)), threshold: 0)
        case "ELU":
            function = .elu(alpha: Float(try configuration.number("alpha", default: 1, in: 0...1e6)))
        case "Softmax":
            try configuration.require("axis", isOneOf: [.number(-1)])
            function = .softmax
        default:
            let name = try configuration.choice("activation", default: "linear", allowed: PointwiseFunction.byKerasName.keys.sorted())
            function = PointwiseFunction(kerasName: name)!
        }
        self.init(name: configuration.name, inputShape: inputShape, function: function, kind: configuration.className)
    }

    package func forward(_ memory: LayerMemory) {
        function.forward(memory.input, into: memory.output, count: memory.count * inputShape.count)
    }

    package func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        function.backward(input: memory.input, output: memory.output, gradient: memory.outputGradient,
                          into: inputGradient, count: memory.count * inputShape.count)
    }
}
