/// Adds the bias to every position of an HWC tensor and applies the activation, in place.
@inline(__always)
func addBiasAndActivate(_ activation: Activation, values: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                        positions: Int, channels: Int) {
    for position in 0..<positions {
        let row = values + position * channels
        switch activation {
        case .linear:
            for channel in 0..<channels { row[channel] += bias[channel] }
        case .relu:
            for channel in 0..<channels { row[channel] = max(row[channel] + bias[channel], 0) }
        }
    }
}

/// Turns the gradient with respect to an activation's output into the gradient with respect to its
/// input, in place. ReLU passes the gradient where the output is positive (zero at 0, as TensorFlow).
@inline(__always)
func applyActivationGradient(_ activation: Activation, output: UnsafePointer<Float>,
                             gradient: UnsafeMutablePointer<Float>, count: Int) {
    guard activation == .relu else { return }
    for index in 0..<count { gradient[index] = output[index] > 0 ? gradient[index] : 0 }
}
