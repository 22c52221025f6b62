/// The shape of one sample's activations, stored height-major, channels last (HWC, as Keras's
/// default NHWC without the batch axis). A flat vector is `height = width = 1`.
public struct TensorShape: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let height: Int
    public let width: Int
    public let channels: Int

    public init(height: Int, width: Int, channels: Int) {
        precondition(height > 0 && width > 0 && channels > 0, "tensor dimensions must be positive")
        self.height = height
        self.width = width
        self.channels = channels
    }

    public static func vector(_ count: Int) -> TensorShape { TensorShape(height: 1, width: 1, channels: count) }

    public var count: Int { height * width * channels }
    public var isVector: Bool { height == 1 && width == 1 }

    /// Keras's notation: `(None, 28, 28, 64)` or `(None, 128)`.
    public var description: String {
        isVector ? "(None, \(channels))" : "(None, \(height), \(width), \(channels))"
    }
}

/// How a layer's pre-activation output is mapped.
public enum Activation: String, Sendable, CaseIterable {
    case linear
    case relu
}

/// Keras's padding modes for stride-1 convolutions.
public enum Padding: String, Sendable, CaseIterable {
    /// Output has the input's size; the zero border is split as TensorFlow does (extra row/column at the end).
    case same
    /// No padding: output shrinks by `kernelSize - 1`.
    case valid
}
