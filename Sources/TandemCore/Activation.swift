import CTandemKernels

/// Adds the bias (if any) to every position of an HWC tensor and applies a fused activation (linear or
/// ReLU), in place.
@inline(__always)
func addBiasAndActivate(_ activation: Activation, values: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?,
                        positions: Int, channels: Int) {
    precondition(activation.isFused)
    guard let bias else {
        if activation == .relu { tandem_relu_forward(values, positions * channels, values) }
        return
    }
    tandem_channels_add_bias(values, bias, positions, channels, activation == .relu ? 1 : 0)
}

/// Applies an activation that is not fused with the bias (sigmoid, tanh) to `values`, in place; does
/// nothing for the fused ones (linear, ReLU).
@inline(__always)
func applyUnfusedActivation(_ activation: Activation, values: UnsafeMutablePointer<Float>, count: Int) {
    guard !activation.isFused else { return }
    applyActivation(activation, from: values, into: values, count: count)
}

/// Applies any activation to `input`, writing `output` (which may be `input`): the forward pass of a
/// layer that is only an activation.
@inline(__always)
func applyActivation(_ activation: Activation, from input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                     count: Int) {
    switch activation {
    case .linear: if UnsafePointer(output) != input { output.update(from: input, count: count) }
    case .relu: tandem_relu_forward(input, count, output)
    case .sigmoid: Elementwise.sigmoid(input, into: output, count: count)
    case .tanh: Elementwise.tanh(input, into: output, count: count)
    }
}

/// The gradient with respect to an activation's input (`inputGradient`, which may be `gradient`) from
/// the one with respect to its output and the output alone. ReLU passes the gradient where the output
/// is positive (zero at 0, as TensorFlow); sigmoid multiplies by y(1−y), tanh by 1−y².
@inline(__always)
func applyActivationGradient(_ activation: Activation, output: UnsafePointer<Float>, gradient: UnsafePointer<Float>,
                             into inputGradient: UnsafeMutablePointer<Float>, count: Int) {
    switch activation {
    case .linear: if UnsafePointer(inputGradient) != gradient { inputGradient.update(from: gradient, count: count) }
    case .relu: tandem_relu_backward(gradient, output, count, inputGradient)
    case .sigmoid: Elementwise.multiplyBySigmoidDerivative(gradient, output: output, into: inputGradient, count: count)
    case .tanh: Elementwise.multiplyByTanhDerivative(gradient, output: output, into: inputGradient, count: count)
    }
}

/// `biasGradient[c] = Σ over positions of gradient[position][c]`, positions in order.
@inline(__always)
func sumOverPositions(_ gradient: UnsafePointer<Float>, positions: Int, channels: Int,
                      into biasGradient: UnsafeMutablePointer<Float>) {
    biasGradient.update(repeating: 0, count: channels)
    tandem_channels_sum(gradient, positions, channels, biasGradient)
}

/// An activation that a layer with weights (`Conv2D`, `DepthwiseConv2D`, `SeparableConv2D`, `Dense`)
/// ends in beyond the four it computes itself (linear, ReLU, sigmoid, tanh): Keras's `silu`, `gelu`, …
/// as EfficientNet and MobileNetV3 write them. Applied in place after the layer's linear output, which
/// it keeps, after the layer's own saved values, for backward: these functions' derivatives need their
/// input, not only their output.
package struct TrailingActivation: Sendable, Equatable {
    package let function: PointwiseFunction

    /// Floats kept for backward, for a block of `outputs` floats of output.
    func savedCount(outputs: Int) -> Int { outputs }

    /// `values = f(values)`, keeping the linear values in `input`.
    func forward(_ values: UnsafeMutablePointer<Float>, count: Int, keeping input: UnsafeMutablePointer<Float>) {
        input.update(from: values, count: count)
        function.forward(input, into: values, count: count)
    }

    /// `gradient = f′(input) · gradient`: the gradient with respect to the linear values.
    func backward(output: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        function.backward(input: input, output: output, gradient: gradient, into: gradient, count: count)
    }
}
