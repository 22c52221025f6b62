/// The shape of one sample's activations, stored height-major, channels last (HWC, as Keras's
/// default NHWC without the batch axis). A flat vector is `height = width = 1`.
package struct TensorShape: Equatable, Hashable, Sendable, CustomStringConvertible {
    package let height: Int
    package let width: Int
    package let channels: Int

    package init(height: Int, width: Int, channels: Int) {
        precondition(height > 0 && width > 0 && channels > 0, "tensor dimensions must be positive")
        self.height = height
        self.width = width
        self.channels = channels
    }

    package static func vector(_ count: Int) -> TensorShape { TensorShape(height: 1, width: 1, channels: count) }

    package var count: Int { height * width * channels }
    package var isVector: Bool { height == 1 && width == 1 }

    /// Keras's notation: `(None, 28, 28, 64)` or `(None, 128)`.
    package var description: String {
        isVector ? "(None, \(channels))" : "(None, \(height), \(width), \(channels))"
    }
}

/// How a layer's pre-activation output is mapped (hidden layers; a softmax ends the model, see
/// `Layer.outputActivation`).
package enum Activation: String, Sendable, CaseIterable {
    case linear
    case relu
    case sigmoid
    case tanh

    /// Linear and ReLU are applied in the same pass as the bias; the others after it.
    package var isFused: Bool { self == .linear || self == .relu }
    /// What the bias pass applies: this activation if fused, else nothing.
    package var fused: Activation { isFused ? self : .linear }
}

/// An activation as a Keras configuration names it: a hidden layer's, or the output's softmax.
package enum KerasActivation: Equatable, Sendable {
    case hidden(Activation)
    case softmax

    package var isSoftmax: Bool { self == .softmax }
    /// What the layer computes itself: the hidden activation, or nothing (the loss applies the softmax).
    package var hidden: Activation {
        if case let .hidden(activation) = self { return activation }
        return .linear
    }
}

/// Keras's padding modes.
package enum Padding: String, Sendable, CaseIterable {
    /// Output of ⌈input / stride⌉; the zero border is split as TensorFlow does (extra row/column at the end).
    case same
    /// No padding: output of ⌊(input − window) / stride⌋ + 1.
    case valid

    /// The output extent and the zero rows (or columns) before the input, for one axis.
    package func outputSize(input: Int, window: Int, stride: Int) -> (output: Int, paddingBefore: Int) {
        switch self {
        case .valid:
            return (input >= window ? (input - window) / stride + 1 : 0, 0)
        case .same:
            let output = (input + stride - 1) / stride
            let total = max((output - 1) * stride + window - input, 0)
            return (output, total / 2)
        }
    }
}
