/// Pointers into the model's buffers that one layer reads and writes while processing one sample.
///
/// The model owns all memory (see `ModelWorkspace`); a layer is a plain value that only knows its
/// configuration and shapes. Gradients are per sample: `backward` *overwrites* the layer's slice of
/// `parameterGradient` with the gradient of this one sample's loss, and the training loop sums the
/// samples exactly, in fixed point (which is what makes results independent of the rank count).
public struct LayerMemory {
    public var input: UnsafeMutablePointer<Float>
    public var output: UnsafeMutablePointer<Float>
    /// Where the gradient with respect to `input` goes; `nil` for the first layer, which needs none.
    public var inputGradient: UnsafeMutablePointer<Float>?
    /// The gradient with respect to `output`. Layers may overwrite it (e.g. applying the ReLU mask in place).
    public var outputGradient: UnsafeMutablePointer<Float>
    public var parameters: UnsafePointer<Float>
    public var parameterGradient: UnsafeMutablePointer<Float>
    /// Values derived from the parameters once per step by `prepare` (e.g. Winograd-domain kernels).
    public var prepared: UnsafeMutablePointer<Float>
    /// Values `forward` keeps for `backward` of the same sample.
    public var saved: UnsafeMutablePointer<Float>
    /// Scratch, valid only during one call.
    public var scratch: UnsafeMutablePointer<Float>
}

/// A named block of a layer's trainable parameters, in the order it occupies the flat buffer.
public struct ParameterBlock: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public var count: Int { shape.reduce(1, *) }
}

/// One layer of a `Sequential` model: configuration and shapes, with `forward` and `backward` for one sample.
public protocol Layer: Sendable {
    /// Keras's class name, e.g. `Conv2D`.
    var kind: String { get }
    /// A short, parseable description of the configuration, e.g. `conv2d(32,3,same,relu)`.
    var specification: LayerSpecification { get }
    var inputShape: TensorShape { get }
    var outputShape: TensorShape { get }
    /// The trainable parameter blocks in flat-buffer order (Keras's `get_weights()` order).
    var parameterBlocks: [ParameterBlock] { get }
    /// Multiply-adds of one sample's forward pass, for FLOP accounting.
    var forwardMultiplyAdds: Int { get }

    var preparedCount: Int { get }
    var savedCount: Int { get }
    var scratchCount: Int { get }

    /// Writes initial parameter values (Keras defaults: Glorot-uniform kernels, zero biases).
    func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator)
    /// Derives `prepared` from the parameters; called once each time the parameters change.
    func prepare(parameters: UnsafePointer<Float>, prepared: UnsafeMutablePointer<Float>)
    func forward(_ memory: LayerMemory)
    func backward(_ memory: LayerMemory)
}

extension Layer {
    public var parameterCount: Int { parameterBlocks.reduce(0) { $0 + $1.count } }
    public var preparedCount: Int { 0 }
    public var savedCount: Int { 0 }
    public var scratchCount: Int { 0 }
    public var forwardMultiplyAdds: Int { 0 }
    public func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {}
    public func prepare(parameters: UnsafePointer<Float>, prepared: UnsafeMutablePointer<Float>) {}
}
