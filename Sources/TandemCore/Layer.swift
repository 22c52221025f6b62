/// Pointers into the model's buffers that one layer reads and writes while processing one block of
/// samples.
///
/// A block is `count` consecutive samples, stored one after another (NHWC, batch first, as Keras):
/// sample `i` of a layer's input starts at `input + i · inputShape.count`. The model owns all memory
/// (see `ModelWorkspace`); a layer is a plain value that only knows its configuration and shapes.
///
/// `backward` *overwrites* the layer's slice of `parameterGradient` with the gradient summed over the
/// block's samples. The training loop runs every canonical micro-batch of a step as one block and adds
/// each block's gradient exactly, in fixed point, which is what makes results independent of the rank
/// and thread count: a block's sums never depend on which rank or thread computes it.
package struct LayerMemory {
    /// Samples in the block, at least 1 and at most the workspace's capacity.
    package var count: Int
    package var input: UnsafeMutablePointer<Float>
    package var output: UnsafeMutablePointer<Float>
    /// Where the gradient with respect to `input` goes; `nil` for the first layer, which needs none.
    package var inputGradient: UnsafeMutablePointer<Float>?
    /// The gradient with respect to `output`. Layers may overwrite it (e.g. applying the ReLU mask in place).
    package var outputGradient: UnsafeMutablePointer<Float>
    package var parameters: UnsafePointer<Float>
    package var parameterGradient: UnsafeMutablePointer<Float>
    /// Values derived from the parameters once per step by `prepare` (e.g. Winograd-domain kernels).
    package var prepared: UnsafeMutablePointer<Float>
    /// Values `forward` keeps for `backward` of the same block.
    package var saved: UnsafeMutablePointer<Float>
    /// Scratch, valid only during one call.
    package var scratch: UnsafeMutablePointer<Float>
    /// Which samples these are, for layers that draw random numbers per sample.
    package var samples: SampleBlock
    /// A merge layer's inputs, in call order (`input` is the first), and where their gradients go
    /// (`nil` for an input that needs none); `nil` for other layers.
    package var inputs: UnsafePointer<UnsafeMutablePointer<Float>>? = nil
    package var inputGradients: UnsafePointer<UnsafeMutablePointer<Float>?>? = nil
    /// The factor the loss's gradient carries in this backward pass (1 / the global batch size): what
    /// a `LossTermLayer` scales its own term's gradient by.
    package var lossScale: Float = 0
}

/// Which samples a block holds. Randomised layers (Dropout, augmentation) draw from `(seed, epoch,
/// sample index, layer)`, so a sample's draws do not depend on the rank or thread that computes it, nor
/// on what else is in its block; in inference they do nothing.
package struct SampleBlock: @unchecked Sendable {
    package var training: Bool
    package var seed: UInt64
    package var epoch: Int
    /// The training-set index of each sample of the block (training only).
    package var indices: UnsafePointer<Int32>?

    package init(training: Bool, seed: UInt64, epoch: Int, indices: UnsafePointer<Int32>?) {
        self.training = training
        self.seed = seed
        self.epoch = epoch
        self.indices = indices
    }

    package static let inference = SampleBlock(training: false, seed: 0, epoch: 0, indices: nil)

    /// The random stream of the block's sample `sample` in the layer at `position` (training only).
    package func stream(sample: Int, layer position: Int) -> RandomGenerator {
        guard let indices else { preconditionFailure("a training block needs its samples' indices") }
        return RandomGenerator(seed: seed, stream: RandomStream.sample(epoch: epoch, index: Int(indices[sample]), layer: position))
    }
}

/// A named block of a layer's weights, in the order it occupies the flat buffer (Keras's
/// `get_weights()` order). Non-trainable blocks (batch-norm's moving statistics) sit in the same buffer
/// so that checkpoints and exports hold every weight Keras has; their gradient is always zero, so Adam
/// leaves them exactly as they are (zero moments give a zero step) and only their layer changes them.
package struct ParameterBlock: Sendable, Equatable {
    package let name: String
    package let shape: [Int]
    package let trainable: Bool
    package var count: Int { shape.reduce(1, *) }

    package init(name: String, shape: [Int], trainable: Bool = true) {
        self.name = name
        self.shape = shape
        self.trainable = trainable
    }
}

/// One layer of a `Model`: configuration and shapes, with `forward` and `backward` for one
/// block of samples.
package protocol Layer: Sendable {
    /// The layer's name in the model description, e.g. `conv2d_1`.
    var name: String { get }
    /// Keras's class name, e.g. `Conv2D`.
    var kind: String { get }
    /// For `tandem summary`: what else to say of it, e.g. `relu, winograd`.
    var summaryDetail: String { get }
    /// The activation the layer ends in (linear for layers without one). A softmax is allowed on the
    /// last layer only, which then computes logits: the softmax is fused into the cross-entropy loss.
    var outputActivation: PointwiseFunction { get }
    var inputShape: TensorShape { get }
    var outputShape: TensorShape { get }
    /// The trainable parameter blocks in flat-buffer order (Keras's `get_weights()` order).
    var parameterBlocks: [ParameterBlock] { get }
    /// Multiply-adds of one sample's forward pass, for FLOP accounting.
    var forwardMultiplyAdds: Int { get }

    /// Floats of `prepared`, derived from the parameters (the same for every block).
    var preparedCount: Int { get }
    /// Floats `forward` keeps for `backward`, for a block of up to `samples` samples.
    func savedCount(samples: Int) -> Int
    /// Floats of scratch one call needs, for a block of up to `samples` samples.
    func scratchCount(samples: Int) -> Int

    /// Writes initial parameter values (Keras defaults: Glorot-uniform kernels, zero biases).
    func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator)
    /// Derives `prepared` from the parameters; called once each time the parameters change.
    func prepare(parameters: UnsafePointer<Float>, prepared: UnsafeMutablePointer<Float>)
    func forward(_ memory: LayerMemory)
    func backward(_ memory: LayerMemory)
}

extension Layer {
    package var parameterCount: Int { parameterBlocks.reduce(0) { $0 + $1.count } }
    package var trainableParameterCount: Int { parameterBlocks.filter(\.trainable).reduce(0) { $0 + $1.count } }
    package var summaryDetail: String { "" }
    package var outputActivation: PointwiseFunction { .linear }
    package var endsInSoftmax: Bool { outputActivation == .softmax }
    package var preparedCount: Int { 0 }
    package func savedCount(samples: Int) -> Int { 0 }
    package func scratchCount(samples: Int) -> Int { 0 }
    package var forwardMultiplyAdds: Int { 0 }
    package func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {}
    package func prepare(parameters: UnsafePointer<Float>, prepared: UnsafeMutablePointer<Float>) {}
}

/// A layer a Keras model description can name. Adding one is its own file (the layer, with forward and
/// backward side by side, and this initialiser), one line in `LayerRegistry.layers`, and its tests.
package protocol KerasLayer: Layer {
    /// The Keras class names it stands for (`Activation` and `ReLU` are one Tandem layer).
    static var kerasClassNames: [String] { get }
    /// Builds the layer from its Keras configuration for inputs of `inputShape`; throws one line
    /// naming the layer and the option for anything it cannot honour.
    init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws
}

/// What a layer's construction may depend on besides its configuration.
package struct LayerBuildContext: Sendable {
    /// Force one algorithm for every convolution (`.winograd` where it applies); `nil` lets each pick.
    package var convolution: ConvolutionAlgorithm?
    /// The layer's position in the model, counted from 0 (what a randomised layer's draws depend on).
    package var index: Int
    /// The shapes of every activation the layer takes, in call order (several for a merge layer).
    package var inputShapes: [TensorShape]

    package init(convolution: ConvolutionAlgorithm? = nil, index: Int = 0, inputShapes: [TensorShape] = []) {
        self.convolution = convolution
        self.index = index
        self.inputShapes = inputShapes
    }
}

/// A layer that takes several activations of a graph model (Keras's merge layers: `Add`,
/// `Concatenate`, …), read from `LayerMemory.inputs`; its backward writes each input's gradient to
/// `LayerMemory.inputGradients` (where not `nil`). `inputShape` is the first input's.
package protocol MergeLayer: Layer {
    var inputShapes: [TensorShape] { get }
}

/// A layer whose training pass depends on the whole global batch (Keras's `BatchNormalization`). The
/// trainer runs every local block up to it, adds up each block's per-channel sums exactly across the
/// global batch (fixed point, any rank count, as the gradient), and only then lets any block go on;
/// backward alike. `forward` and `backward` of `Layer` are its inference pass.
package protocol BatchSynchronizedLayer: Layer {
    /// Channels the statistics are per.
    var channels: Int { get }
    /// `sums[c] = Σ over the block's samples and positions of input[·, c]`, or of `(input − mean[c])²`
    /// given `mean`: one block's part, in a fixed order.
    func channelSums(of input: UnsafePointer<Float>, count: Int, centeredOn mean: UnsafePointer<Float>?,
                     into sums: UnsafeMutablePointer<Float>)
    /// The training forward pass of one block with the global batch's mean and variance.
    func normalize(_ memory: LayerMemory, mean: UnsafePointer<Float>, variance: UnsafePointer<Float>)
    /// One block's part of `Σ dy` and `Σ dy·x̂` per channel (into `sums[0..<C]`, `sums[C..<2C]`); also
    /// writes them as the block's gradient of the layer's parameters.
    func gradientSums(_ memory: LayerMemory, into sums: UnsafeMutablePointer<Float>)
    /// One block's input gradient from the global `Σ dy`, `Σ dy·x̂` over `count` values per channel.
    func inputGradient(_ memory: LayerMemory, variance: UnsafePointer<Float>, sums: UnsafePointer<Float>, count: Int)
    /// Moves the moving statistics towards the batch's (once per training step, every rank alike).
    func updateMovingStatistics(_ parameters: UnsafeMutablePointer<Float>, mean: UnsafePointer<Float>, variance: UnsafePointer<Float>)
}

/// A layer that adds a term of its input to the loss (Keras's `ActivityRegularization`): per sample,
/// added to the sample's loss, in training and in evaluation, as Keras's `fit` and `evaluate` report it.
/// Its `backward` adds `lossScale` times the term's gradient to the gradient it passes on.
package protocol LossTermLayer: Layer {
    /// The term summed over the block's `count` samples of `input`, in sample order.
    func lossTerm(input: UnsafePointer<Float>, count: Int) -> Float
}

/// A layer that only transforms the input in training (augmentation: random flips, translations). It
/// has no backward pass: it must come before every layer with weights, where no gradient is needed.
package protocol AugmentationLayer: Layer {}

extension AugmentationLayer {
    package func backward(_ memory: LayerMemory) {
        preconditionFailure("\(name): an augmentation layer has no backward pass (it comes before every layer with weights)")
    }

    /// The forward pass of a layer that transforms each sample with its own draws: in training,
    /// `transform(draws, input, output)` per sample, `draws` the sample's stream for the layer at
    /// `position`; in inference, a copy.
    func forEachSample(_ memory: LayerMemory, position: Int,
                       _ transform: (inout RandomGenerator, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        guard memory.samples.training else {
            memory.output.update(from: memory.input, count: memory.count * inputShape.count)
            return
        }
        for sample in 0..<memory.count {
            var generator = memory.samples.stream(sample: sample, layer: position)
            transform(&generator, memory.input + sample * inputShape.count, memory.output + sample * inputShape.count)
        }
    }
}
