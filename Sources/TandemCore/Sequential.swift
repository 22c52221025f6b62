/// A stack of layers applied one after another, as Keras's `Sequential`, ending in logits for
/// `classCount` classes (the softmax is fused into the loss).
///
/// The model is a plain value: its layers' configurations and where each layer's parameters sit in
/// the one flat parameter buffer. All memory lives in a `ModelWorkspace` and in `FloatBuffer`s
/// owned by the caller.
public struct Sequential: Sendable {
    public let inputShape: TensorShape
    public let layers: [any Layer]
    /// `parameterOffsets[i]` is where layer `i`'s parameters start in the flat buffer.
    public let parameterOffsets: [Int]
    public let parameterCount: Int

    /// The Keras tutorial's model for 28×28 grey images and 10 classes (its typos fixed; conv4–conv6
    /// have no activation in the original, kept so).
    public static let tutorialLayers: [LayerSpecification] = [
        .conv2D(filters: 64, kernelSize: 3, padding: .same, activation: .relu),
        .conv2D(filters: 32, kernelSize: 3, padding: .same, activation: .relu),
        .maxPooling2D(poolSize: 2),
        .conv2D(filters: 32, kernelSize: 3, padding: .same, activation: .relu),
        .conv2D(filters: 16, kernelSize: 3, padding: .same, activation: .linear),
        .maxPooling2D(poolSize: 2),
        .conv2D(filters: 16, kernelSize: 3, padding: .same, activation: .linear),
        .conv2D(filters: 8, kernelSize: 3, padding: .same, activation: .linear),
        .maxPooling2D(poolSize: 2),
        .flatten,
        .dense(units: 128, activation: .relu),
        .dense(units: 10, activation: .softmax),
    ]

    public static func tutorial(convolution: ConvolutionAlgorithm? = nil) -> Sequential {
        // The tutorial's definition is valid by construction.
        try! Sequential(inputShape: TensorShape(height: 28, width: 28, channels: 1), layers: tutorialLayers,
                        convolution: convolution)
    }

    /// - Parameter convolution: force one algorithm for every convolution (`.winograd` where it
    ///   applies, im2col elsewhere); `nil` lets each layer pick.
    public init(inputShape: TensorShape, layers specifications: [LayerSpecification],
                convolution: ConvolutionAlgorithm? = nil) throws {
        guard !specifications.isEmpty else { throw ModelDefinitionError("a model needs at least one layer") }
        var layers: [any Layer] = []
        var shape = inputShape
        for (index, specification) in specifications.enumerated() {
            let layer: any Layer
            switch specification {
            case let .conv2D(filters, kernelSize, padding, activation):
                let winogradApplies = kernelSize == 3 && padding == .same
                let algorithm: ConvolutionAlgorithm? = switch convolution {
                case .im2col: .im2col
                case .winograd: winogradApplies ? .winograd : .im2col
                case nil: nil
                }
                layer = try Conv2D(inputShape: shape, filters: filters, kernelSize: kernelSize, padding: padding,
                                   activation: activation, algorithm: algorithm)
            case let .maxPooling2D(poolSize):
                layer = try MaxPooling2D(inputShape: shape, poolSize: poolSize)
            case .flatten:
                layer = Flatten(inputShape: shape)
            case let .dense(units, activation):
                if activation == .softmax && index != specifications.count - 1 {
                    throw ModelDefinitionError("softmax is only supported on the last layer")
                }
                layer = try Dense(inputShape: shape, units: units, activation: activation)
            }
            layers.append(layer)
            shape = layer.outputShape
        }
        guard case .dense(_, .softmax) = specifications.last! else {
            throw ModelDefinitionError("the last layer must be dense(units,softmax): the loss is softmax cross-entropy")
        }
        self.inputShape = inputShape
        self.layers = layers
        var offsets: [Int] = []
        var offset = 0
        for layer in layers {
            offsets.append(offset)
            offset += layer.parameterCount
        }
        parameterOffsets = offsets
        parameterCount = offset
    }

    /// Rebuilds a model from its `description`.
    public init(description: String, convolution: ConvolutionAlgorithm? = nil) throws {
        var words = description.split(separator: " ").map(String.init)
        guard let first = words.first, first.hasPrefix("input("), first.hasSuffix(")") else {
            throw ModelDefinitionError("model description must start with input(height,width,channels)")
        }
        words.removeFirst()
        let dimensions = first.dropFirst("input(".count).dropLast().split(separator: ",").compactMap { Int($0) }
        guard dimensions.count == 3, dimensions.allSatisfy({ $0 > 0 }) else {
            throw ModelDefinitionError("bad input shape '\(first)'")
        }
        try self.init(inputShape: TensorShape(height: dimensions[0], width: dimensions[1], channels: dimensions[2]),
                      layers: words.map { try LayerSpecification(parsing: $0) }, convolution: convolution)
    }

    public var specifications: [LayerSpecification] { layers.map(\.specification) }

    /// `input(28,28,1) conv2d(64,3,same,relu) … dense(10,softmax)`: stored in checkpoints.
    public var description: String {
        (["input(\(inputShape.height),\(inputShape.width),\(inputShape.channels))"]
            + specifications.map(\.description)).joined(separator: " ")
    }

    public var classCount: Int { layers.last!.outputShape.count }

    /// Multiply-adds of one sample's forward pass.
    public var forwardMultiplyAdds: Int { layers.reduce(0) { $0 + $1.forwardMultiplyAdds } }

    /// FLOPs of one sample's training step by direct convolution: forward (1×), kernel gradient (1×)
    /// and input gradient (1×, none for the first layer), two FLOPs per multiply-add.
    public var trainingFLOPsPerSample: Int {
        2 * (3 * forwardMultiplyAdds - layers[0].forwardMultiplyAdds)
    }

    /// Keras's default initialisation from `seed`: Glorot-uniform kernels, zero biases, layer by layer.
    public func initializeParameters(_ parameters: UnsafeMutableBufferPointer<Float>, seed: UInt64) {
        precondition(parameters.count == parameterCount, "parameter buffer has \(parameters.count) floats, model needs \(parameterCount)")
        var generator = RandomGenerator(seed: seed, stream: RandomStream.initialization)
        for (layer, offset) in zip(layers, parameterOffsets) {
            layer.initialize(parameters: UnsafeMutableBufferPointer(rebasing: parameters[offset..<offset + layer.parameterCount]),
                             generator: &generator)
        }
    }

    /// Derives each layer's per-step values from the parameters; call after every parameter change.
    public func prepare(parameters: UnsafePointer<Float>, workspace: ModelWorkspace) {
        for (index, layer) in layers.enumerated() {
            layer.prepare(parameters: parameters + parameterOffsets[index], prepared: workspace.prepared[index].pointer)
        }
    }

    /// Runs one sample already written to `workspace.input`; returns its logits.
    @discardableResult
    public func forward(parameters: UnsafePointer<Float>, workspace: ModelWorkspace) -> UnsafePointer<Float> {
        for index in layers.indices {
            layers[index].forward(workspace.memory(layer: index, parameters: parameters + parameterOffsets[index],
                                                   parameterGradient: nil, outputGradient: nil, inputGradient: nil))
        }
        return UnsafePointer(workspace.logits)
    }

    /// Forward and backward for one sample in `workspace.input` with class `label`: *overwrites*
    /// `parameterGradient` with `scale · ∂loss/∂parameters` and returns the sample's loss and whether
    /// it was classified correctly.
    public func lossAndGradient(label: Int, scale: Float, parameters: UnsafePointer<Float>,
                                parameterGradient: UnsafeMutablePointer<Float>,
                                workspace: ModelWorkspace) -> (loss: Float, correct: Bool) {
        let logits = forward(parameters: parameters, workspace: workspace)
        let correct = SoftmaxCrossEntropy.predictedClass(logits: logits, classes: classCount) == label
        let loss = backward(label: label, scale: scale, parameters: parameters,
                            parameterGradient: parameterGradient, workspace: workspace)
        return (loss, correct)
    }

    /// The backward pass for the sample `forward` just ran: *overwrites* `parameterGradient` with
    /// `scale · ∂loss/∂parameters` and returns the sample's loss.
    public func backward(label: Int, scale: Float, parameters: UnsafePointer<Float>,
                         parameterGradient: UnsafeMutablePointer<Float>, workspace: ModelWorkspace) -> Float {
        var outputGradient = workspace.gradients.0.pointer
        var inputGradient = workspace.gradients.1.pointer
        let loss = SoftmaxCrossEntropy.lossAndGradient(logits: workspace.logits, classes: classCount, label: label,
                                                       scale: scale, gradient: outputGradient)
        for index in layers.indices.reversed() {
            layers[index].backward(workspace.memory(
                layer: index, parameters: parameters + parameterOffsets[index],
                parameterGradient: parameterGradient + parameterOffsets[index],
                outputGradient: outputGradient, inputGradient: index > 0 ? inputGradient : nil))
            swap(&outputGradient, &inputGradient)
        }
        return loss
    }
}

/// Everything one sample's forward and backward pass writes, allocated once for a model.
public final class ModelWorkspace: @unchecked Sendable {
    /// `activations[0]` is the input; `activations[i + 1]` the output of layer `i`.
    let activations: [FloatBuffer]
    /// Two buffers the gradient with respect to activations alternates between, layer by layer.
    let gradients: (FloatBuffer, FloatBuffer)
    let prepared: [FloatBuffer]
    let saved: [FloatBuffer]
    let scratch: FloatBuffer
    /// A placeholder for arguments a forward-only pass does not use.
    private let unused: FloatBuffer

    public init(model: Sequential) {
        activations = [FloatBuffer(count: model.inputShape.count)] + model.layers.map { FloatBuffer(count: $0.outputShape.count) }
        let largest = activations.map(\.count).max()!
        gradients = (FloatBuffer(count: largest), FloatBuffer(count: largest))
        prepared = model.layers.map { FloatBuffer(count: $0.preparedCount) }
        saved = model.layers.map { FloatBuffer(count: $0.savedCount) }
        scratch = FloatBuffer(count: model.layers.map(\.scratchCount).max()!)
        unused = FloatBuffer(count: 1)
    }

    /// Where the next sample goes, as `height × width × channels` floats.
    public var input: UnsafeMutablePointer<Float> { activations[0].pointer }
    public var logits: UnsafeMutablePointer<Float> { activations[activations.count - 1].pointer }

    func memory(layer index: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>?,
                outputGradient: UnsafeMutablePointer<Float>?, inputGradient: UnsafeMutablePointer<Float>?) -> LayerMemory {
        LayerMemory(input: activations[index].pointer, output: activations[index + 1].pointer,
                    inputGradient: inputGradient, outputGradient: outputGradient ?? unused.pointer,
                    parameters: parameters, parameterGradient: parameterGradient ?? unused.pointer,
                    prepared: prepared[index].pointer, saved: saved[index].pointer, scratch: scratch.pointer)
    }
}
