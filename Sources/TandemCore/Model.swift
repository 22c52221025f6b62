/// What a classifier's last layer gives, as Keras's `predict` returns it. Either way Tandem trains with
/// softmax cross-entropy on the logits, the softmax fused into the loss.
///
/// A binary classifier has one output unit: `Dense(1, sigmoid)`, or its logit `z` with
/// `BinaryCrossentropy(from_logits=True)`. Tandem trains it as two classes with logits `(0, z)`, whose
/// softmax is `(1 − σ(z), σ(z))` and whose softmax cross-entropy is exactly binary cross-entropy (label
/// smoothing included), so evaluation, reports and predict see two classes.
package enum ModelOutput: String, Sendable {
    /// The last layer ends in a softmax: Keras's `from_logits=False`.
    case probabilities
    /// The last layer is linear: the class scores before a softmax, Keras's `from_logits=True`.
    case logits
    /// One unit ending in a sigmoid, fused into the loss: Keras's `predict` gives P(class 1).
    case probability
    /// One linear unit: the logit of class 1.
    case logit

    /// One output unit for two classes.
    package var isBinary: Bool { self == .probability || self == .logit }
}

/// A Keras model, `Sequential` or Functional: layers in an order where each follows the layers it reads
/// (a chain, or a graph: `ModelDescription.inputs`), ending in logits for `classCount` classes (the
/// model's final softmax, if it has one, is fused into the loss).
///
/// The model is a plain value: its layers' configurations, what each takes, and where each layer's
/// parameters sit in the one flat parameter buffer. All memory lives in a `ModelWorkspace` and in
/// `FloatBuffer`s owned by the caller.
package struct Model: Sendable {
    /// What the model was built from (stored in checkpoints).
    package let description: ModelDescription
    package let inputShape: TensorShape
    package let layers: [any Layer]
    /// `parameterOffsets[i]` is where layer `i`'s parameters start in the flat buffer.
    package let parameterOffsets: [Int]
    package let parameterCount: Int
    /// Whether Keras's `predict` gives probabilities or logits for this model.
    package let output: ModelOutput
    /// The layers that need the whole batch in training (batch-norm), by index.
    package let synchronizedLayers: [Int]
    /// Where the trainable weights are in the flat buffer (not batch-norm's moving statistics).
    package var trainableRanges: [Range<Int>] {
        var ranges: [Range<Int>] = []
        for (index, (layer, offset)) in zip(layers, parameterOffsets).enumerated() where trainsWeights[index] {
            var start = offset
            for block in layer.parameterBlocks {
                if block.trainable { ranges.append(start..<start + block.count) }
                start += block.count
            }
        }
        return ranges
    }
    /// The first layer with trainable weights: no layer before it needs a backward pass.
    package let gradientStart: Int
    /// For each layer, the activations it takes (`ModelDescription.inputs`: 0 is the model's input,
    /// `i + 1` the output of layer `i`).
    package let layerInputs: [[Int]]
    /// The shape of each activation: the input's, then each layer's output.
    package let activationShapes: [TensorShape]
    /// Which layers run backward and where each activation's gradient is kept.
    package let gradientPlan: GradientPlan
    /// Which activations share memory in a forward-only pass.
    package let inferencePlan: InferencePlan
    /// For each layer, whether it has trainable weights and is not frozen (Keras's `"trainable": false`,
    /// on the layer or on a nested model it came from): a frozen layer's weights stay as they are, and
    /// its batch-norm runs in inference mode, as in Keras.
    package let trainsWeights: [Bool]
    /// The layers that run in inference mode in training too (`ModelDescription.inferenceCalls`).
    package var inferenceCalls: Set<Int> { description.inferenceCalls }
    /// The weights with a Keras regulariser (`kernel_regularizer`, …) that train, in buffer order.
    package let regularization: [(weights: Range<Int>, regularizer: Regularizer)]
    /// The layers that add a term to the loss (`LossTermLayer`), in model order.
    package let lossTermLayers: [Int]
    /// The weights that train.
    package var trainableParameterCount: Int {
        layers.indices.filter { trainsWeights[$0] }.reduce(0) { $0 + layers[$1].trainableParameterCount }
    }

    /// The most memory a model may ask for (weights with their gradient and the optimiser's state, and one
    /// sample's workspace), checked before anything is allocated.
    package static let largestMemoryBytes = 16 << 30

    package static func tutorial(convolution: ConvolutionAlgorithm? = nil) -> Model {
        // The tutorial's definition is valid by construction.
        try! Model(description: .tutorial, convolution: convolution)
    }

    /// - Parameter convolution: force one algorithm for every convolution (`.winograd` where it
    ///   applies, im2col elsewhere); `nil` lets each layer pick.
    package init(description: ModelDescription, convolution: ConvolutionAlgorithm? = nil) throws {
        var layers: [any Layer] = []
        var shapes = [description.inputShape]   // of each activation: the input, then each layer's output
        func make(_ configuration: KerasLayerConfiguration, index: Int) throws -> any Layer {
            let inputShapes = description.inputs[index].map { shapes[$0] }
            return try LayerRegistry.make(configuration, inputShape: inputShapes[0],
                                          context: LayerBuildContext(convolution: convolution, index: index, inputShapes: inputShapes))
        }
        for (index, configuration) in description.layers.enumerated() {
            let layer = try make(configuration, index: index), inputCount = description.inputs[index].count
            if inputCount > 1 && !(layer is any MergeLayer) {
                throw configuration.error("takes \(inputCount) inputs; only merge layers (Add, Concatenate, …) take several")
            }
            if layer.endsInSoftmax && index != description.layers.count - 1 {
                throw configuration.error("a softmax is only supported on the last layer (Tandem fuses it into the loss)")
            }
            layers.append(layer)
            shapes.append(layer.outputShape)
        }
        guard var last = layers.last else { throw ModelDefinitionError("a model needs at least one layer") }
        let fusesSigmoid = last.outputShape == .vector(1) && last.outputActivation == .sigmoid
        if fusesSigmoid {
            // The sigmoid is fused into the loss, as a final softmax is: the layer computes the logit.
            let index = layers.count - 1, configuration = description.layers[index]
            var linear = configuration.config
            linear["activation"] = .string("linear")
            last = try make(KerasLayerConfiguration(className: configuration.className, name: configuration.name, config: linear), index: index)
            layers[index] = last
        }
        let read = Set(description.inputs.joined())
        if let unread = layers.indices.dropLast().first(where: { !read.contains($0 + 1) }) {
            throw ModelDefinitionError("\(layers[unread].name): not on the path from the model's input to its output (no layer reads it)")
        }
        output = try Self.output(of: last, sigmoidFused: fusesSigmoid)
        // Summed in doubles: the sizes of a nonsensical model must be refused, not overflow.
        let parameterBytes = 16 * layers.reduce(0.0) { $0 + Double($1.parameterCount) }   // with gradient and optimiser state
        let workspaceBytes = 4 * layers.reduce(Double(description.inputShape.count)) {
            $0 + 3 * Double($1.outputShape.count) + Double($1.savedCount(samples: 1)) + Double($1.preparedCount)
                + Double($1.scratchCount(samples: 1))
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
        layerInputs = description.inputs
        activationShapes = shapes
        let (offsets, total) = startsAndTotal(layers.map(\.parameterCount))
        parameterOffsets = offsets
        parameterCount = total
        let frozen = description.layers.map { $0.config["trainable"]?.bool == false }
        let trainsWeights = layers.indices.map { layers[$0].trainableParameterCount > 0 && !frozen[$0] }
        self.trainsWeights = trainsWeights
        synchronizedLayers = layers.indices.filter {
            layers[$0] is any BatchSynchronizedLayer && !frozen[$0] && !description.inferenceCalls.contains($0)
        }
        gradientPlan = GradientPlan(trainsWeights: trainsWeights, inputs: description.inputs, shapes: shapes)
        var regularization: [(weights: Range<Int>, regularizer: Regularizer)] = []
        for (index, layer) in layers.enumerated() {
            var start = offsets[index]
            for block in layer.parameterBlocks {
                if let regularizer = try description.layers[index].regularizer(forWeights: block.name),
                   trainsWeights[index] && block.trainable && regularizer != Regularizer() {
                    regularization.append((start..<start + block.count, regularizer))
                }
                start += block.count
            }
        }
        self.regularization = regularization
        let lossTermLayers = layers.indices.filter { layers[$0] is any LossTermLayer }
        self.lossTermLayers = lossTermLayers
        // Read after the pass: the input (the next block is written there), the output, what `lossTerms` reads.
        inferencePlan = InferencePlan(inputs: description.inputs, shapes: shapes,
                                      kept: Set([0, layers.count] + lossTermLayers.map { description.inputs[$0][0] }))
    }

    /// Classes: the last layer's units, or 2 for a binary classifier's one.
    package var classCount: Int { output.isBinary ? 2 : layers.last!.outputShape.count }

    /// What a uint8 pixel is multiplied by before the model sees it: 1/255, as Keras tutorials feed
    /// `x / 255`, or 1 for a model that rescales its own input (a `Rescaling` before its first layer
    /// with weights), which its Keras users feed 0–255. Float data is always taken as it is.
    package var byteScale: Float {
        layers[..<gradientStart].contains { $0 is Rescaling } ? 1 : 1 / 255
    }

    /// `byteScale` in words, for start-up reports and `predict`.
    package var byteScaleDescription: String {
        guard byteScale == 1 else { return "uint8 scaled by 1/255" }
        let rescaling = layers.first { $0 is Rescaling }!
        return "uint8 as it is, 0–255 (the model's \(rescaling.name) rescales it)"
    }

    /// A softmax last layer gives probabilities, a linear one logits; one unit is a binary classifier
    /// (`sigmoidFused`: its sigmoid, now computed by the loss). Anything else is not a classifier Tandem
    /// can train with cross-entropy.
    private static func output(of last: any Layer, sigmoidFused: Bool) throws -> ModelOutput {
        if last.endsInSoftmax { return .probabilities }
        guard last.outputActivation == .linear else {
            throw ModelDefinitionError("\(last.name): the model ends in activation '\(last.outputActivation.name)'; Tandem trains classifiers whose last layer is a softmax, linear (logits), or one sigmoid unit (binary)")
        }
        guard last.outputShape.isVector else {
            throw ModelDefinitionError("\(last.name): the model's output is \(last.outputShape), not one score per class (Flatten or global pooling first)")
        }
        if last.outputShape.channels == 1 { return sigmoidFused ? .probability : .logit }
        return .logits
    }

    /// The regularisers' penalty at `parameters`, `Σ l1 · Σ|w| + l2 · Σw²`: what Keras adds to the loss.
    package func regularizationPenalty(_ parameters: UnsafePointer<Float>) -> Double {
        regularization.reduce(0) { sum, item in
            sum + item.regularizer.penalty(UnsafeBufferPointer(start: parameters + item.weights.lowerBound, count: item.weights.count))
        }
    }

    /// Multiply-adds of one sample's forward pass.
    package var forwardMultiplyAdds: Int { layers.reduce(0) { $0 + $1.forwardMultiplyAdds } }

    /// FLOPs of one sample's training step by direct convolution: forward (1×), kernel gradient (1×)
    /// and input gradient (1×, none for layers whose input needs none), two FLOPs per multiply-add.
    package var trainingFLOPsPerSample: Int {
        let withoutInputGradient = layers.indices.filter { gradientPlan.runsBackward[$0] && !gradientPlan.needsInputGradient(layer: $0) }
        return 2 * (3 * forwardMultiplyAdds - withoutInputGradient.reduce(0) { $0 + layers[$1].forwardMultiplyAdds })
    }

    /// Keras's default initialisation from `seed`: Glorot-uniform kernels, zero biases, layer by layer.
    package func initializeParameters(_ parameters: UnsafeMutableBufferPointer<Float>, seed: UInt64) {
        precondition(parameters.count == parameterCount, "parameter buffer has \(parameters.count) floats, model needs \(parameterCount)")
        var generator = RandomGenerator(seed: seed, stream: RandomStream.initialization)
        for (layer, offset) in zip(layers, parameterOffsets) {
            layer.initialize(parameters: UnsafeMutableBufferPointer(rebasing: parameters[offset..<offset + layer.parameterCount]),
                             generator: &generator)
        }
    }

    /// The most parameters one layer has: the size of a workspace's per-layer gradient.
    package var largestLayerParameterCount: Int { layers.map(\.parameterCount).max() ?? 0 }

    /// Derives each layer's per-step values from the parameters; call after every parameter change.
    package func prepare(parameters: UnsafePointer<Float>, workspace: ModelWorkspace) {
        for (index, layer) in layers.enumerated() {
            layer.prepare(parameters: parameters + parameterOffsets[index], prepared: workspace.prepared[index].pointer)
        }
    }

    /// Runs the block in `workspace` (`workspace.count` samples written to `workspace.input`); returns its
    /// logits, `classCount` floats per sample.
    @discardableResult
    package func forward(parameters: UnsafePointer<Float>, workspace: ModelWorkspace) -> UnsafePointer<Float> {
        forward(layers: layers.indices, parameters: parameters, workspace: workspace)
        workspace.pairBinaryLogits()
        return UnsafePointer(workspace.logits)
    }

    /// Runs layers `range` on the block in `workspace` (the output of the layer before is in place).
    package func forward(layers range: Range<Int>, parameters: UnsafePointer<Float>, workspace: ModelWorkspace) {
        for index in range {
            layers[index].forward(workspace.forwardMemory(layer: index, parameters: parameters + parameterOffsets[index]))
        }
    }

    /// The loss of the block `forward` just ran, with `scale · ∂loss/∂logits` of each sample as the
    /// gradient the backward pass starts from: the block's summed loss (added in sample order) and how
    /// many samples were classified correctly.
    package func beginBackward(labels: (Int) -> Int, scale: Float, labelSmoothing: Float = 0,
                               workspace: ModelWorkspace) -> (lossSum: Float, correct: Int) {
        let outputGradient = workspace.outputGradient(layer: layers.count - 1)
        workspace.lossScale = scale
        var result: (lossSum: Float, correct: Int)
        if let (_, binaryGradient) = workspace.binaryLogits {
            // The logit z is the second of (0, z): its gradient is the second of the pair's.
            workspace.pairBinaryLogits()
            result = SoftmaxCrossEntropy.lossAndGradient(logits: workspace.logits, count: workspace.count, classes: 2, labels: labels,
                                                         scale: scale, labelSmoothing: labelSmoothing, gradient: binaryGradient.pointer)
            for sample in 0..<workspace.count { outputGradient[sample] = binaryGradient[2 * sample + 1] }
        } else {
            result = SoftmaxCrossEntropy.lossAndGradient(logits: workspace.logits, count: workspace.count, classes: classCount,
                                                         labels: labels, scale: scale, labelSmoothing: labelSmoothing, gradient: outputGradient)
        }
        result.lossSum += lossTerms(workspace: workspace)
        return result
    }

    /// The terms the layers add to the loss (`LossTermLayer`) for the block `forward` just ran, summed
    /// over its samples, layer by layer in model order; 0 for a model without such layers.
    package func lossTerms(workspace: ModelWorkspace) -> Float {
        var sum: Float = 0
        for index in lossTermLayers {
            sum += (layers[index] as! any LossTermLayer).lossTerm(input: workspace.activations[layerInputs[index][0]].pointer,
                                                                  count: workspace.count)
        }
        return sum
    }

    /// The backward pass through layers `range`, last first (`range` must follow every layer that reads
    /// its outputs). Each layer's gradient, summed over the block, is written to
    /// `workspace.layerGradient` (or in place in `workspace.parameterGradients`) and handed to
    /// `consume(layer, gradient)` before the next layer runs.
    package func backward(layers range: Range<Int>, parameters: UnsafePointer<Float>, workspace: ModelWorkspace,
                          consume: (_ layer: Int, _ gradient: UnsafePointer<Float>) -> Void) {
        for index in range.reversed() where gradientPlan.runsBackward[index] {
            let memory = backwardMemory(layer: index, parameters: parameters + parameterOffsets[index], workspace: workspace)
            layers[index].backward(memory)
            if trainsWeights[index] { consume(index, memory.parameterGradient) }
            workspace.finishBackward(layer: index)
        }
    }

    /// Layer `index`'s backward memory in `workspace`, its parameter gradient where the workspace wants it:
    /// at the layer's offset in `workspace.parameterGradients` for a layer that trains, if that is set.
    package func backwardMemory(layer index: Int, parameters: UnsafePointer<Float>, workspace: ModelWorkspace) -> LayerMemory {
        let destination = trainsWeights[index] ? workspace.parameterGradients.map { $0 + parameterOffsets[index] } : nil
        return workspace.backwardMemory(layer: index, parameters: parameters, parameterGradient: destination)
    }

    /// Forward and backward for the block in `workspace` with the given labels: *overwrites*
    /// `parameterGradient` (the whole flat buffer) with `scale · ∂loss/∂parameters` summed over the block
    /// and returns the summed loss and correct count. Layers without a gradient (before the first with
    /// weights) get zeros.
    package func lossAndGradient(labels: (Int) -> Int, scale: Float, parameters: UnsafePointer<Float>,
                                 parameterGradient: UnsafeMutablePointer<Float>,
                                 workspace: ModelWorkspace) -> (lossSum: Float, correct: Int) {
        forward(parameters: parameters, workspace: workspace)
        let result = beginBackward(labels: labels, scale: scale, workspace: workspace)
        parameterGradient.update(repeating: 0, count: parameterCount)
        backward(layers: layers.indices, parameters: parameters, workspace: workspace) { index, gradient in
            (parameterGradient + parameterOffsets[index]).update(from: gradient, count: layers[index].parameterCount)
        }
        return result
    }
}

/// Everything the forward and backward pass of one block of up to `capacity` samples writes, allocated
/// once for a model.
package final class ModelWorkspace: @unchecked Sendable {
    /// What a workspace is for.
    package enum Use: Sendable {
        /// Forward and backward: every activation kept for the backward pass.
        case training
        /// Forward only (evaluation, prediction): activations share buffers as `InferencePlan` allows, the
        /// layers share one region for what they save, and there are no gradients.
        case inference
    }

    /// The most samples a block may hold.
    package let capacity: Int
    package let use: Use
    private let plan: GradientPlan
    private let layerInputs: [[Int]]
    private let activationShapes: [TensorShape]
    /// For each layer, whether it runs in inference mode in training too (`Model.inferenceCalls`).
    private let runsInInference: [Bool]
    /// `activations[0]` is the input; `activations[i + 1]` the output of layer `i`.
    let activations: [FloatBuffer]
    /// The gradients with respect to activations, as `GradientPlan` places them.
    let gradients: [FloatBuffer]
    /// Where a layer's backward pass writes the gradient of an input that other layers also read.
    let partials: [FloatBuffer]
    let prepared: [FloatBuffer]
    let saved: [FloatBuffer]
    let scratch: FloatBuffer
    /// Where `backward` writes one layer's parameter gradient, summed over the block.
    package let layerGradient: FloatBuffer
    /// If set, where `Model.backward` writes the parameter gradients of the layers that train instead, at
    /// their offsets in the flat parameter layout: a buffer the caller hands on as it is.
    package var parameterGradients: UnsafeMutablePointer<Float>?
    /// A placeholder for arguments a forward-only pass does not use.
    private let unused: FloatBuffer
    /// A binary classifier's two-class logits `(0, z)` and their gradient (`ModelOutput`); nil otherwise.
    let binaryLogits: (logits: FloatBuffer, gradient: FloatBuffer)?
    /// Each layer's inputs and the gradients its backward pass writes, as `LayerMemory.inputs` and
    /// `inputGradients` hand them to merge layers: `tableStart[i]` is layer `i`'s first entry.
    private let inputTable: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private let inputGradientTable: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>
    private let tableStart: [Int]
    /// How many samples the block in the workspace holds (set with the input).
    package var count = 1
    /// Which samples they are: set by the trainer before each training block; `.inference` (randomised
    /// layers do nothing) otherwise.
    package var samples = SampleBlock.inference
    /// The factor of the loss's gradient in the backward pass under way (`LayerMemory.lossScale`).
    package var lossScale: Float = 0

    /// What a new workspace takes from an existing one of the same model instead of allocating it.
    package enum Sharing {
        /// Nothing: a workspace of its own.
        case nothing
        /// The per-step values derived from the parameters (read-only during a step): another thread's workspace.
        case prepared(ModelWorkspace)
        /// Those, the scratch, the partial gradients and the layer gradient: another block of the same
        /// thread (a model with batch-norm keeps every local block's activations until the batch's
        /// statistics are known).
        case preparedAndScratch(ModelWorkspace)
    }

    package init(model: Model, capacity: Int = 1, sharing: Sharing = .nothing, use: Use = .training) {
        precondition(capacity >= 1, "a workspace holds at least one sample")
        self.capacity = capacity
        self.use = use
        let plan = model.gradientPlan
        self.plan = plan
        layerInputs = model.layerInputs
        activationShapes = model.activationShapes
        runsInInference = model.layers.indices.map(model.inferenceCalls.contains)
        switch use {
        case .training:
            activations = model.activationShapes.map { FloatBuffer(count: capacity * $0.count) }
            gradients = plan.bufferSizes.map { FloatBuffer(count: capacity * $0) }
            saved = model.layers.map { FloatBuffer(count: $0.savedCount(samples: capacity)) }
        case .inference:
            if case .preparedAndScratch = sharing { preconditionFailure("an inference workspace shares no training block's scratch") }
            let buffers = model.inferencePlan.bufferSizes.map { FloatBuffer(count: capacity * $0) }
            activations = model.inferencePlan.buffers.map { buffers[$0] }
            gradients = plan.bufferSizes.map { _ in FloatBuffer(count: 0) }
            let shared = FloatBuffer(count: model.layers.map { $0.savedCount(samples: capacity) }.max()!)
            saved = model.layers.map { _ in shared }
        }
        switch sharing {
        case .nothing:
            prepared = model.layers.map { FloatBuffer(count: $0.preparedCount) }
        case let .prepared(other), let .preparedAndScratch(other):
            precondition(other.capacity == capacity, "workspaces that share memory hold blocks of one capacity")
            prepared = other.prepared
        }
        if case let .preparedAndScratch(other) = sharing {
            scratch = other.scratch
            partials = other.partials
            layerGradient = other.layerGradient
        } else {
            scratch = FloatBuffer(count: model.layers.map { $0.scratchCount(samples: capacity) }.max()!)
            let gradientSamples = use == .training ? capacity : 0
            partials = (0..<plan.partialCount).map { _ in FloatBuffer(count: gradientSamples * plan.partialSize) }
            layerGradient = FloatBuffer(count: use == .training ? model.largestLayerParameterCount : 0)
        }
        unused = FloatBuffer(count: 1)
        binaryLogits = model.output.isBinary ? (FloatBuffer(count: 2 * capacity), FloatBuffer(count: 2 * capacity)) : nil

        let (starts, entries) = startsAndTotal(layerInputs.map(\.count))
        tableStart = starts
        inputTable = .allocate(capacity: entries)
        inputGradientTable = .allocate(capacity: entries)
        for (layer, inputs) in layerInputs.enumerated() {
            for (slot, activation) in inputs.enumerated() {
                (inputTable + starts[layer] + slot).initialize(to: activations[activation].pointer)
                let target: UnsafeMutablePointer<Float>? = switch plan.targets[layer].isEmpty ? .none : plan.targets[layer][slot] {
                case .none: nil
                case let .buffer(buffer): gradients[buffer].pointer
                case let .partial(partial): partials[partial].pointer
                }
                (inputGradientTable + starts[layer] + slot).initialize(to: target)
            }
        }
    }

    deinit {
        inputTable.deallocate()
        inputGradientTable.deallocate()
    }

    /// The (first) input of layer `index`.
    package func layerInput(_ index: Int) -> UnsafeMutablePointer<Float> { inputTable[tableStart[index]] }

    /// Where the next block goes, `count` samples of `height × width × channels` floats.
    package var input: UnsafeMutablePointer<Float> { activations[0].pointer }
    /// The model's logits, `classCount` per sample (a binary classifier's two-class ones).
    package var logits: UnsafeMutablePointer<Float> { binaryLogits?.logits.pointer ?? output }
    /// The last layer's output.
    var output: UnsafeMutablePointer<Float> { activations[activations.count - 1].pointer }

    /// A binary classifier's logits `(0, z)` from the block's outputs `z`; nothing for other models.
    func pairBinaryLogits() {
        guard let (logits, _) = binaryLogits else { return }
        for sample in 0..<count {
            logits[2 * sample] = 0
            logits[2 * sample + 1] = output[sample]
        }
    }

    /// The gradient with respect to layer `index`'s output (of a layer that runs backward).
    package func outputGradient(layer index: Int) -> UnsafeMutablePointer<Float> { gradients[plan.buffers[index + 1]!].pointer }

    /// The memory of layer `index` in the backward pass; the parameter gradient goes to `parameterGradient`,
    /// or to `layerGradient`. Follow the layer's backward pass with `finishBackward(layer:)`.
    package func backwardMemory(layer index: Int, parameters: UnsafePointer<Float>,
                                parameterGradient: UnsafeMutablePointer<Float>? = nil) -> LayerMemory {
        precondition(use == .training, "backward in an inference workspace")
        return memory(layer: index, parameters: parameters, parameterGradient: parameterGradient ?? layerGradient.pointer,
               outputGradient: outputGradient(layer: index), inputGradient: inputGradientTable[tableStart[index]])
    }

    /// After layer `index`'s backward pass: adds the partial gradients it wrote (inputs other layers
    /// also read) to their activations' gradients.
    package func finishBackward(layer index: Int) {
        for (slot, target) in plan.targets[index].enumerated() {
            guard case let .partial(partial) = target else { continue }
            let activation = layerInputs[index][slot]
            let sum = gradients[plan.buffers[activation]!].pointer, addend = partials[partial].pointer
            for element in 0..<count * activationShapes[activation].count { sum[element] += addend[element] }
        }
    }

    /// The memory of layer `index` in a forward pass.
    package func forwardMemory(layer index: Int, parameters: UnsafePointer<Float>) -> LayerMemory {
        memory(layer: index, parameters: parameters, parameterGradient: nil, outputGradient: nil, inputGradient: nil)
    }

    func memory(layer index: Int, parameters: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>?,
                outputGradient: UnsafeMutablePointer<Float>?, inputGradient: UnsafeMutablePointer<Float>?) -> LayerMemory {
        precondition(count >= 1 && count <= capacity, "a block of \(count) samples in a workspace for \(capacity)")
        let table = tableStart[index]
        return LayerMemory(count: count, input: inputTable[table], output: activations[index + 1].pointer,
                           inputGradient: inputGradient, outputGradient: outputGradient ?? unused.pointer,
                           parameters: parameters, parameterGradient: parameterGradient ?? unused.pointer,
                           prepared: prepared[index].pointer, saved: saved[index].pointer, scratch: scratch.pointer,
                           samples: runsInInference[index] ? .inference : samples, inputs: UnsafePointer(inputTable + table),
                           inputGradients: UnsafePointer(inputGradientTable + table), lossScale: lossScale)
    }
}

/// Where each of consecutive runs of `counts` starts, and where the last ends.
private func startsAndTotal(_ counts: [Int]) -> (starts: [Int], total: Int) {
    var starts: [Int] = []
    var total = 0
    for count in counts {
        starts.append(total)
        total += count
    }
    return (starts, total)
}
