/// An activation on its own; Keras's `Activation` (linear, relu, sigmoid, tanh, or softmax as the last
/// layer) and `ReLU` (with its defaults: no maximum, no negative slope, threshold 0).
public struct ActivationLayer: KerasLayer {
    public let name: String
    public let inputShape: TensorShape
    public let activation: KerasActivation

    public var outputShape: TensorShape { inputShape }
    public var kind: String { "Activation" }
    public var summaryDetail: String { activation.isSoftmax ? "softmax" : activation.hidden.rawValue }
    public var outputActivation: KerasActivation { activation }
    public var parameterBlocks: [ParameterBlock] { [] }

    public init(name: String = "activation", inputShape: TensorShape, activation: KerasActivation) {
        self.name = name
        self.inputShape = inputShape
        self.activation = activation
    }

    public static let kerasClassNames = ["Activation", "ReLU"]

    public init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        if configuration.className == "ReLU" {
            try configuration.require("max_value", isOneOf: [])
            try configuration.require("negative_slope", isOneOf: [.number(0)])
            try configuration.require("threshold", isOneOf: [.number(0)])
            self.init(name: configuration.name, inputShape: inputShape, activation: .hidden(.relu))
        } else {
            self.init(name: configuration.name, inputShape: inputShape, activation: try configuration.activation())
        }
    }

    public func forward(_ memory: LayerMemory) {
        applyActivation(activation.hidden, from: memory.input, into: memory.output, count: memory.count * inputShape.count)
    }

    public func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        applyActivationGradient(activation.hidden, output: memory.output, gradient: memory.outputGradient,
                                into: inputGradient, count: memory.count * inputShape.count)
    }
}
