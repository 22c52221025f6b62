/// A stack of layers applied one after another, as Keras's `Sequential`, ending in logits for
/// `classCount` classes (the model's final softmax is fused into the loss).
///
/// The model is a plain value: its layers' configurations and where each layer's parameters sit in
/// the one flat parameter buffer. All memory lives in a `ModelWorkspace` and in `FloatBuffer`s
/// owned by the caller.
public struct Sequential: Sendable {
    /// What the model was built from (stored in checkpoints).
    public let description: ModelDescription
    public let inputShape: TensorShape
    public let layers: [any Layer]
    /// `parameterOffsets[i]` is where layer `i`'s parameters start in the flat buffer.
    public let parameterOffsets: [Int]
    public let parameterCount: Int
    /// The layers that need the whole batch in training (batch-norm), by index.
    public let synchronizedLayers: [Int]
    /// Where the trainable weights are in the flat buffer (not batch-norm's moving statistics).
    public var trainableRanges: [Range<Int>] {
        var ranges: [Range<Int>] = []
        for (layer, offset) in zip(layers, parameterOffsets) {
            var start = offset
            for block in layer.parameterBlocks {
                if block.trainable { ranges.append(start..<start + block.count) }
                start += block.count
            }
        }
        return ranges
    }
    /// The first layer with trainable weights: backward stops there (no gradient is needed below it).
    public let gradientStart: Int

    /// The most memory a model may ask for (weights with their gradient and the optimiser's state, and one sample's workspace),
    /// checked before anything is allocated.
    public static let largestMemoryBytes = 16 << 30

    public static func tutorial(convolution: ConvolutionAlgorithm? = nil) -> Sequential {
        // The tutorial's definition is valid by construction.
        try! Sequential(description: .tutorial, convolution: convolution)
    }

    /// - Parameter convolution: force one algorithm for every convolution (`.winograd` where it
    ///   applies, im2col elsewhere); `nil` lets each layer pick.
    public init(description: ModelDescription, convolution: ConvolutionAlgorithm? = nil) throws {
        var layers: [any Layer] = []
        var shape = description.inputShape
        for (index, configuration) in description.layers.enumerated() {
            let layer = try LayerRegistry.make(configuration, inputShape: shape,
                                               context: LayerBuildContext(convolution: convolution, index: index))
            if layer.endsInSoftmax && index != description.layers.count - 1 {
                throw configuration.error("a softmax is only supported on the last layer (Tandem fuses it into the loss)")
            }
            layers.append(layer)
            shape = layer.outputShape
        }
        guard let last = layers.last else { throw ModelDefinitionError("a model needs at least one layer") }
        guard last.endsInSoftmax else {
            throw ModelDefinitionError("\(last.name): the model must end in a softmax (Dense or Activation with activation 'softmax'): Tandem trains with softmax cross-entropy")
        }
        // Summed in doubles: the sizes of a nonsensical model must be refused, not overflow.
        let parameterBytes = 16 * layers.reduce(0.0) { $0 + Double($1.parameterCount) }   // with gradient and optimiser state
        let workspaceBytes = 4 * layers.reduce(Double(description.inputShape.count)) {
            $0 + 3 * Double($1.outputShape.count) + Double($1.savedCount) + Double($1.preparedCount) + Double($1.scratchCount)
        }
        guard parameterBytes + workspaceBytes <= Double(Self.largestMemoryBytes) else {
            throw ModelDefinitionError("the model needs about \(Int((parameterBytes + workspaceBytes) / Double(1 << 20))) MiB (parameters and one sample's activations), more than the \(Self.largestMemoryBytes >> 30) GiB Tandem allows")
        }
        let firstWithWeights = layers.firstIndex { $0.trainableParameterCount > 0 } ?? layers.count - 1
        if let late = layers.indices.first(where: { layers[$0] is any AugmentationLayer && $0 > firstWithWeights }) {
            throw ModelDefinitionError("\(layers[late].name): augmentation layers must come before every layer with weights (it follows \(layers[firstWithWeights].name))")
        }
        gradientStart = firstWithWeights
        self.description = description
        inputShape = description.inputShape
        self.layers = layers
        var offsets: [Int] = []
        var offset = 0
        for layer in layers {
            offsets.append(offset)
            offset += layer.parameterCount
        }
        parameterOffsets = offsets
        parameterCount = offset
        synchronizedLayers = layers.indices.filter { layers[$0] is any BatchSynchronizedLayer }
    }

    public var classCount: Int { layers.last!.outputShape.count }

    /// Multiply-adds of one sample's forward pass.
    public var forwardMultiplyAdds: Int { layers.reduce(0) { $0 + $1.forwardMultiplyAdds } }

    /// FLOPs of one sample's training step by direct convolution: forward (1×), kernel gradient (1×)
    /// and input gradient (1×, none for the first layer), two FLOPs per multiply-add.
    public var trainingFLOPsPerSample: Int {
        2 * (3 * forwardMultiplyAdds - layers[gradientStart].forwardMultiplyAdds)
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
        forward(layers: layers.indices, parameters: parameters, workspace: workspace)
        return UnsafePointer(workspace.logits)
    }

    /// Runs layers `range` on the sample in `workspace` (the output of the layer before is in place).
    public func forward(layers range: Range<Int>, parameters: UnsafePointer<Float>, workspace: ModelWorkspace) {
        for index in range {
            layers[index].forward(workspace.memory(layer: index, parameters: parameters + parameterOffsets[index],
                                                   parameterGradient: nil, outputGradient: nil, inputGradient: nil))
        }
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
        let loss = beginBackward(label: label, scale: scale, workspace: workspace)
        backward(layers: layers.indices, parameters: parameters, parameterGradient: parameterGradient, workspace: workspace)
        return loss
    }

    /// The loss of the sample `forward` just ran, with `scale · ∂loss/∂logits` as the gradient the
    /// backward pass starts from.
    public func beginBackward(label: Int, scale: Float, workspace: ModelWorkspace) -> Float {
        workspace.gradient = (workspace.gradients.0.pointer, workspace.gradients.1.pointer)
        return SoftmaxCrossEntropy.lossAndGradient(logits: workspace.logits, classes: classCount, label: label,
                                                   scale: scale, gradient: workspace.gradient.output)
    }

    /// The backward pass through layers `range`, from the gradient with respect to the last one's output
    /// to that with respect to the first one's input; *overwrites* their parameters' slices of
    /// `parameterGradient`.
    public func backward(layers range: Range<Int>, parameters: UnsafePointer<Float>,
                         parameterGradient: UnsafeMutablePointer<Float>, workspace: ModelWorkspace) {
        for index in range.reversed() where index >= gradientStart {
            layers[index].backward(workspace.backwardMemory(layer: index, parameters: parameters + parameterOffsets[index],
                                                            parameterGradient: parameterGradient + parameterOffsets[index],
                                                            needsInputGradient: index > gradientStart))
            workspace.advanceGradient()
        }
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
    /// During backward: where the gradient with respect to the current layer's output is, and where the
    /// one with respect to its input goes (the two `gradients` buffers, swapped layer by layer).
    var gradient: (output: UnsafeMutablePointer<Float>, input: UnsafeMutablePointer<Float>)
    /// The sample the next forward pass is for: set by the trainer before each training sample;
    /// `.inference` (randomised layers do nothing) otherwise.
    public var sample = SampleContext.inference

    /// - Parameter other: a workspace of the same model whose per-step values (`prepared`) and scratch
    ///   this one shares: one workspace per sample of a batch, when a layer needs the whole batch.
    public init(model: Sequential, sharingWith other: ModelWorkspace? = nil) {
        activations = [FloatBuffer(count: model.inputShape.count)] + model.layers.map { FloatBuffer(count: $0.outputShape.count) }
        let largest = activations.map(\.count).max()!
        gradients = (FloatBuffer(count: largest), FloatBuffer(count: largest))
        prepared = other?.prepared ?? model.layers.map { FloatBuffer(count: $0.preparedCount) }
        saved = model.layers.map { FloatBuffer(count: $0.savedCount) }
        scratch = other?.scratch ?? FloatBuffer(count: model.layers.map(\.scratchCount).max()!)
        unused = FloatBuffer(count: 1)
        gradient = (gradients.0.pointer, gradients.1.pointer)
    }

    /// The input of layer `index` (the output of the one before): `layerInput(0)` is the sample.
    public func layerInput(_ index: Int) -> UnsafeMutablePointer<Float> { activations[index].pointer }

    /// Where the next sample goes, as `height × width × channels` floats.
    public var input: UnsafeMutablePointer<Float> { activations[0].pointer }
    public var logits: UnsafeMutablePointer<Float> { activations[activations.count - 1].pointer }

    /// The memory of layer `index` in the backward pass, at the current gradient position.
    public func backwardMemory(layer index: Int, parameters: UnsafePointer<Float>,
                               parameterGradient: UnsafeMutablePointer<Float>, needsInputGradient: Bool) -> LayerMemory {
        memory(layer: index, parameters: parameters, parameterGradient: parameterGradient,
               outputGradient: gradient.output, inputGradient: needsInputGradient ? gradient.input : nil)
    }

    /// After a layer's backward pass: its input gradient is the next layer's output gradient.
    public func advanceGradient() { gradient = (gradient.input, gradient.output) }

    /// The memory of layer `index` in a forward pass.
    public func forwardMemory(layer index: Int, parameters: UnsafePointer<Float>) -> LayerMemory {
        memory(layer: index, parameters: parameters, parameterGradient: nil, outputGradient: nil, inputGradient: nil)
    }

    func memory(layer index: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>?,
                outputGradient: UnsafeMutablePointer<Float>?, inputGradient: UnsafeMutablePointer<Float>?) -> LayerMemory {
        LayerMemory(input: activations[index].pointer, output: activations[index + 1].pointer,
                    inputGradient: inputGradient, outputGradient: outputGradient ?? unused.pointer,
                    parameters: parameters, parameterGradient: parameterGradient ?? unused.pointer,
                    prepared: prepared[index].pointer, saved: saved[index].pointer, scratch: scratch.pointer,
                    sample: sample)
    }
}
