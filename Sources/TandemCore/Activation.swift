/// Adds the bias to every position of an HWC tensor and applies the activation, in place.
@inline(__always)
func addBiasAndActivate(_ activation: Activation, values: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                        positions: Int, channels: Int) {
    for position in 0..<positions {
        BiasAndActivation(values: values + position * channels, bias: bias, activation: activation).run(channels: channels)
    }
}

/// Turns the gradient with respect to an activation's output into the gradient with respect to its
/// input, in place. ReLU passes the gradient where the output is positive (zero at 0, as TensorFlow).
@inline(__always)
func applyActivationGradient(_ activation: Activation, output: UnsafePointer<Float>,
                             gradient: UnsafeMutablePointer<Float>, count: Int) {
    guard activation == .relu else { return }
    Elementwise.passWherePositive(gradient, output: output, count: count)
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
