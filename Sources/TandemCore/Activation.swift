/// Adds the bias (if any) to every position of an HWC tensor and applies a fused activation (linear or
/// ReLU), in place.
@inline(__always)
func addBiasAndActivate(_ activation: Activation, values: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?,
                        positions: Int, channels: Int) {
    precondition(activation.isFused)
    guard let bias else {
        if activation == .relu { Elementwise.clampBelowAtZero(values, count: positions * channels) }
        return
    }
    for position in 0..<positions {
        BiasAndActivation(values: values + position * channels, bias: bias, activation: activation).run(channels: channels)
    }
}

/// Applies an activation that is not fused with the bias (sigmoid, tanh) to `values`, in place; does
/// nothing for the fused ones (linear, ReLU).
@inline(__always)
func applyUnfusedActivation(_ activation: Activation, values: UnsafeMutablePointer<Float>, count: Int) {
    switch activation {
    case .linear, .relu: return
    case .sigmoid: Elementwise.sigmoid(values, count: count)
    case .tanh: Elementwise.tanh(values, count: count)
    }
}

/// Applies any activation to `values` in place: the forward pass of a layer that is only an activation.
@inline(__always)
func applyActivation(_ activation: Activation, values: UnsafeMutablePointer<Float>, count: Int) {
    if activation == .relu { Elementwise.clampBelowAtZero(values, count: count) }
    applyUnfusedActivation(activation, values: values, count: count)
}

/// Turns the gradient with respect to an activation's output into the gradient with respect to its
/// input, in place, from the output alone. ReLU passes the gradient where the output is positive (zero
/// at 0, as TensorFlow); sigmoid multiplies by y(1−y), tanh by 1−y².
@inline(__always)
func applyActivationGradient(_ activation: Activation, output: UnsafePointer<Float>,
                             gradient: UnsafeMutablePointer<Float>, count: Int) {
    switch activation {
    case .linear: return
    case .relu: Elementwise.passWherePositive(gradient, output: output, count: count)
    case .sigmoid: Elementwise.multiplyBySigmoidDerivative(gradient, output: output, count: count)
    case .tanh: Elementwise.multiplyByTanhDerivative(gradient, output: output, count: count)
    }
}

/// `biasGradient[c] = Σ over positions of gradient[position][c]`, positions in order.
@inline(__always)
func sumOverPositions(_ gradient: UnsafePointer<Float>, positions: Int, channels: Int,
                      into biasGradient: UnsafeMutablePointer<Float>) {
    biasGradient.update(repeating: 0, count: channels)
    for position in 0..<positions {
        Elementwise.add(gradient + position * channels, into: biasGradient, count: channels)
    }
}

private struct BiasAndActivation: ChannelKernel {
    let values: UnsafeMutablePointer<Float>
    let bias: UnsafePointer<Float>
    let activation: Activation

    @inline(__always)
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int) {
        let value = V.load(values + channel) + V.load(bias + channel)
        (activation == .relu ? value.clampedBelowAtZero() : value).store(to: values + channel)
    }
}
