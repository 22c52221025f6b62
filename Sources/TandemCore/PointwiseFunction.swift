/// An element-wise function as Keras's activations define it (Keras 3), with its forward pass and its
/// derivative side by side. The four an output can give its own derivative (linear, ReLU, sigmoid,
/// tanh) keep the kernels of `Activation`; the rest are computed here, their gradients from the input.
///
/// Every function is built on Tandem's own `Elementwise.exponential` and on the polynomials below, not
/// on the C library's `expf`/`erff`/`log1pf`, whose last bits may differ between hosts' libm versions:
/// ranks on different machines must agree bit for bit.
package enum PointwiseFunction: Equatable, Sendable {
    case linear, relu, sigmoid, tanh
    /// The model's last layer only: fused into the loss, the identity here.
    case softmax
    /// Keras's general ReLU: `min(x > threshold ? x : 0, maximum) − negativeSlope · max(threshold − x, 0)`,
    /// threshold ≥ 0 as Keras requires (`relu6`, `leaky_relu`, the `ReLU` and `LeakyReLU` layers).
    case rectifier(maximum: Float?, negativeSlope: Float, threshold: Float)
    /// `x` above 0, `alpha (eˣ − 1)` below.
    case elu(alpha: Float)
    /// `scale · elu(x, alpha)` with Klambauer et al.'s constants.
    case selu
    /// `x Φ(x)`, or its tanh approximation.
    case gelu(approximate: Bool)
    /// `x σ(x)` (Keras's `silu` and `swish`).
    case silu
    /// `log(1 + eˣ)`.
    case softplus
    /// `x / (1 + |x|)`.
    case softsign
    /// `relu6(x + 3) / 6`, as Keras 3 defines it (Keras 2's was `0.2 x + 0.5`, clipped).
    case hardSigmoid
    /// `x · hard_sigmoid(x)` (Keras's `hard_silu` and `hard_swish`).
    case hardSilu
    /// `x · tanh(softplus(x))`.
    case mish

    /// Every `activation` string of a Keras configuration Tandem computes, with its function.
    package static let byKerasName: [String: PointwiseFunction] = [
        "linear": .linear, "relu": .relu, "sigmoid": .sigmoid, "tanh": .tanh, "softmax": .softmax,
        "relu6": .rectifier(maximum: 6, negativeSlope: 0, threshold: 0),
        "leaky_relu": .rectifier(maximum: nil, negativeSlope: 0.2, threshold: 0),
        "elu": .elu(alpha: 1), "selu": .selu, "gelu": .gelu(approximate: false), "silu": .silu, "swish": .silu,
        "softplus": .softplus, "softsign": .softsign, "hard_sigmoid": .hardSigmoid, "hard_silu": .hardSilu,
        "hard_swish": .hardSilu, "mish": .mish,
    ]

    /// The function an `activation` string names in a Keras configuration.
    package init?(kerasName name: String) {
        guard let function = Self.byKerasName[name] else { return nil }
        self = function
    }

    /// An activation as Dense and Conv2D hold it.
    package init(_ activation: KerasActivation) {
        self = switch activation {
        case .softmax: .softmax
        case .hidden(.linear): .linear
        case .hidden(.relu): .relu
        case .hidden(.sigmoid): .sigmoid
        case .hidden(.tanh): .tanh
        }
    }

    /// The general ReLU, reduced to plain ReLU (and its kernels) when every option is Keras's default.
    package static func rectifying(maximum: Float?, negativeSlope: Float, threshold: Float) -> PointwiseFunction {
        maximum == nil && negativeSlope == 0 && threshold == 0 ? .relu
            : .rectifier(maximum: maximum, negativeSlope: negativeSlope, threshold: threshold)
    }

    /// One of the activations whose derivative comes from the output, as Dense and Conv2D apply them.
    package var kerasActivation: KerasActivation? {
        switch self {
        case .linear: .hidden(.linear)
        case .relu: .hidden(.relu)
        case .sigmoid: .hidden(.sigmoid)
        case .tanh: .hidden(.tanh)
        case .softmax: .softmax
        default: nil
        }
    }

    /// How `tandem summary` and error messages name it.
    package var name: String {
        switch self {
        case .linear: "linear"
        case .relu: "relu"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .softmax: "softmax"
        case let .rectifier(maximum, slope, threshold):
            maximum == 6 && slope == 0 && threshold == 0 ? "relu6"
                : "relu(" + [maximum.map { "max \($0)" }, slope != 0 ? "slope \(slope)" : nil, threshold != 0 ? "threshold \(threshold)" : nil]
                    .compactMap { $0 }.joined(separator: ", ") + ")"
        case let .elu(alpha): alpha == 1 ? "elu" : "elu(alpha \(alpha))"
        case .selu: "selu"
        case let .gelu(approximate): approximate ? "gelu(tanh)" : "gelu"
        case .silu: "silu"
        case .softplus: "softplus"
        case .softsign: "softsign"
        case .hardSigmoid: "hard_sigmoid"
        case .hardSilu: "hard_silu"
        case .mish: "mish"
        }
    }

    /// `y = f(x)` over `count` floats (`y` may be `x`).
    package func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        if let activation = kerasActivation {
            return applyActivation(activation.hidden, from: x, into: y, count: count)
        }
        Elementwise.forEachGroup(count) { index, width in
            Elementwise.store(value(Elementwise.load(x, index, width: width)), y, index, width: width)
        }
    }

    /// `dx = f′(x) · dy` (`dx` may be `dy`); `y` is the forward pass's output, which the four
    /// output-derivative activations use instead of `x`.
    package func backward(input x: UnsafePointer<Float>, output y: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>,
                          into dx: UnsafeMutablePointer<Float>, count: Int) {
        if let activation = kerasActivation {
            return applyActivationGradient(activation.hidden, output: y, gradient: dy, into: dx, count: count)
        }
        Elementwise.forEachGroup(count) { index, width in
            let derivative = derivative(Elementwise.load(x, index, width: width))
            Elementwise.store(derivative * Elementwise.load(dy, index, width: width), dx, index, width: width)
        }
    }

    // MARK: The functions, 16 lanes at a time

    private static let seluScale: Float = 1.05070098, seluAlpha: Float = 1.67326324
    /// √(2/π), for the tanh form of GELU.
    private static let geluTanhScale: Float = 0.7978845608

    @inline(__always)
    private func value(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let zero = SIMD16<Float>(), one = SIMD16<Float>(repeating: 1)
        switch self {
        case let .rectifier(maximum, slope, threshold):
            var positive = x.replacing(with: zero, where: x .<= threshold)
            if let maximum { positive = positive.replacing(with: SIMD16(repeating: maximum), where: positive .> maximum) }
            return slope == 0 ? positive : positive - slope * (threshold - x).replacing(with: zero, where: x .>= threshold)
        case let .elu(alpha):
            return x.replacing(with: alpha * (Elementwise.exponential(x) - 1), where: x .<= 0)
        case .selu:
            return Self.seluScale * x.replacing(with: Self.seluAlpha * (Elementwise.exponential(x) - 1), where: x .<= 0)
        case .gelu(approximate: false):
            return 0.5 * x * Self.onePlusErf(x * 0.70710678118654752)
        case .gelu(approximate: true):
            return 0.5 * x * (one + Self.hyperbolicTangent(Self.geluTanhScale * (x + 0.044715 * x * x * x)))
        case .silu:
            return x * Self.logistic(x)
        case .softplus:
            return Self.softplus(x)
        case .softsign:
            return x / (one + Self.magnitude(x))
        case .hardSigmoid:
            return Self.hardSigmoid(x)
        case .hardSilu:
            return x * Self.hardSigmoid(x)
        case .mish:
            return x * Self.hyperbolicTangent(Self.softplus(x))
        case .linear, .relu, .sigmoid, .tanh, .softmax:
            preconditionFailure("\(name) runs through Activation's kernels")
        }
    }

    /// f′(x). Where f has a kink, the derivative is TensorFlow's: from the side the kernel's comparison
    /// puts the point on (ReLU's 0 at 0).
    @inline(__always)
    private func derivative(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let zero = SIMD16<Float>(), one = SIMD16<Float>(repeating: 1)
        switch self {
        case let .rectifier(maximum, slope, threshold):
            var passes = one.replacing(with: zero, where: x .<= threshold)
            if let maximum { passes = passes.replacing(with: zero, where: x .>= maximum) }
            return slope == 0 ? passes : passes + SIMD16(repeating: slope).replacing(with: zero, where: x .>= threshold)
        case let .elu(alpha):
            return one.replacing(with: alpha * Elementwise.exponential(x), where: x .<= 0)
        case .selu:
            return Self.seluScale * one.replacing(with: Self.seluAlpha * Elementwise.exponential(x), where: x .<= 0)
        case .gelu(approximate: false):
            // Φ(x) + x φ(x), φ the standard normal density.
            let density = 0.39894228040143268 * Elementwise.exponential(-0.5 * x * x)
            return 0.5 * Self.onePlusErf(x * 0.70710678118654752) + x * density
        case .gelu(approximate: true):
            let inner = Self.geluTanhScale * (x + 0.044715 * x * x * x)
            let t = Self.hyperbolicTangent(inner)
            return 0.5 * (one + t) + 0.5 * x * (one - t * t) * Self.geluTanhScale * (one + 3 * 0.044715 * x * x)
        case .silu:
            let s = Self.logistic(x)
            return s * (one + x * (one - s))
        case .softplus:
            return Self.logistic(x)
        case .softsign:
            let d = one + Self.magnitude(x)
            return one / (d * d)
        case .hardSigmoid:
            return SIMD16<Float>(repeating: Float(1) / 6).replacing(with: zero, where: x .<= -3 .| x .>= 3)
        case .hardSilu:
            let middle = (2 * x + 3) / 6
            return middle.replacing(with: zero, where: x .<= -3).replacing(with: one, where: x .>= 3)
        case .mish:
            let t = Self.hyperbolicTangent(Self.softplus(x))
            return t + x * (one - t * t) * Self.logistic(x)
        case .linear, .relu, .sigmoid, .tanh, .softmax:
            preconditionFailure("\(name) runs through Activation's kernels")
        }
    }

    @inline(__always)
    private static func magnitude(_ x: SIMD16<Float>) -> SIMD16<Float> { x.replacing(with: -x, where: x .< 0) }

    @inline(__always)
    private static func logistic(_ x: SIMD16<Float>) -> SIMD16<Float> { 1 / (1 + Elementwise.exponential(-x)) }

    @inline(__always)
    private static func hyperbolicTangent(_ x: SIMD16<Float>) -> SIMD16<Float> { Elementwise.hyperbolicTangent(x) }

    @inline(__always)
    private static func hardSigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> {
        ((x + 3) / 6).clamped(lowerBound: SIMD16(), upperBound: SIMD16(repeating: 1))
    }

    /// `max(x, 0) + log(1 + e^−|x|)`: no overflow for large x; below e^−|x| = 10⁻⁴ the series
    /// `u − u²/2`, where forming 1 + u would round u away.
    @inline(__always)
    private static func softplus(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let u = Elementwise.exponential(-Self.magnitude(x))
        let series = u - 0.5 * u * u
        let logarithm = naturalLogarithm(1 + u).replacing(with: series, where: u .< 1e-4)
        return x.replacing(with: SIMD16(), where: x .< 0) + logarithm
    }

    /// `log z` for z in [1, 2]: Cephes' logf polynomial on z or z/2, whichever lies in [√½, √2].
    @inline(__always)
    private static func naturalLogarithm(_ z: SIMD16<Float>) -> SIMD16<Float> {
        let halve = z .> 1.41421356
        let exponent = SIMD16<Float>(repeating: 1).replacing(with: SIMD16(), where: .!halve)
        let m = z.replacing(with: z * 0.5, where: halve) - 1
        let m2 = m * m
        var p = SIMD16<Float>(repeating: 7.0376836292e-2)
        p = p * m - 1.1514610310e-1
        p = p * m + 1.1676998740e-1
        p = p * m - 1.2420140846e-1
        p = p * m + 1.4249322787e-1
        p = p * m - 1.6668057665e-1
        p = p * m + 2.0000714765e-1
        p = p * m - 2.4999993993e-1
        p = p * m + 3.3333331174e-1
        var y = p * m * m2 + exponent * -2.12194440e-4 - 0.5 * m2
        y = m + y + exponent * 0.693359375
        return y
    }

    /// `1 + erf(x)`, formed without cancellation for negative x: Abramowitz and Stegun's 7.1.26
    /// (absolute error below 1.5·10⁻⁷) gives erfc(|x|) directly.
    @inline(__always)
    private static func onePlusErf(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let a = magnitude(x)
        let t = 1 / (1 + 0.3275911 * a)
        var p = SIMD16<Float>(repeating: 1.061405429)
        p = p * t - 1.453152027
        p = p * t + 1.421413741
        p = p * t - 0.284496736
        p = p * t + 0.254829592
        let complement = p * t * Elementwise.exponential(-a * a)
        return (2 - complement).replacing(with: complement, where: x .< 0)
    }
}
