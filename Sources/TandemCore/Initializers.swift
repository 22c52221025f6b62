/// How a weight tensor starts: Keras's built-in initializers, with Keras's distributions, drawn from
/// Tandem's generator (seeded by `--seed`; an initializer's own `seed` is Keras's generator's, which
/// Tandem does not have) in flat-buffer order. Rank 0 draws and broadcasts; the draws use only IEEE
/// arithmetic and square roots (no libm), so a seed gives the same weights on any machine.
package enum Initializer: Equatable, Sendable {
    /// `Zeros`, `Ones`, `Constant`.
    case constant(Float)
    /// `RandomUniform`.
    case uniform(minimum: Float, maximum: Float)
    /// `RandomNormal`, and `TruncatedNormal` (values beyond two standard deviations drawn again).
    case normal(mean: Float, standardDeviation: Float, truncated: Bool)
    /// `VarianceScaling` and its named forms (Glorot, He, LeCun).
    case varianceScaling(scale: Double, mode: FanMode, distribution: Distribution)
    /// `Orthogonal`: a kernel seen as a (fan-in × outputs) matrix with orthonormal columns (or rows, if
    /// it is wide), times `gain`: the Q of a normal matrix's QR with R's diagonal positive, as Keras
    /// takes it; by modified Gram–Schmidt in doubles.
    case orthogonal(gain: Float)
    /// `Identity`: a Dense kernel's identity matrix (ones on its diagonal) times `gain`.
    case identity(gain: Float)

    package enum FanMode: String, Sendable {
        case fanIn = "fan_in", fanOut = "fan_out", fanAverage = "fan_avg"
    }

    package enum Distribution: String, Sendable {
        case uniform, truncatedNormal = "truncated_normal", untruncatedNormal = "untruncated_normal"
    }

    package static let zeros = Initializer.constant(0)
    package static let ones = Initializer.constant(1)
    package static let glorotUniform = Initializer.varianceScaling(scale: 1, mode: .fanAverage, distribution: .uniform)

    /// An initializer as a Keras configuration gives it: a name (`"he_normal"`) or an object
    /// (`{"class_name": "HeNormal", "config": {...}}`); what Tandem cannot honour is refused.
    init(keras value: JSONValue, key: String, configuration: KerasLayerConfiguration) throws {
        guard let className = value.string ?? value["class_name"]?.string else {
            throw configuration.error("\(key) \(value.displayText) is not an initializer")
        }
        let config = value["config"]
        func number(_ name: String, _ fallback: Double) throws -> Double {
            guard let entry = config?[name], entry != .null else { return fallback }
            guard let number = entry.number, number.isFinite else {
                throw configuration.error("\(key): \(name) \(entry.displayText) must be a number")
            }
            return number
        }
        switch className.replacingOccurrences(of: "_", with: "").lowercased() {
        case "zeros": self = .zeros
        case "ones": self = .ones
        case "constant": self = .constant(Float(try number("value", 0)))
        case "randomuniform": self = .uniform(minimum: Float(try number("minval", -0.05)), maximum: Float(try number("maxval", 0.05)))
        case "randomnormal":
            self = .normal(mean: Float(try number("mean", 0)), standardDeviation: Float(try number("stddev", 0.05)), truncated: false)
        case "truncatednormal":
            self = .normal(mean: Float(try number("mean", 0)), standardDeviation: Float(try number("stddev", 0.05)), truncated: true)
        case "glorotuniform": self = .glorotUniform
        case "glorotnormal": self = .varianceScaling(scale: 1, mode: .fanAverage, distribution: .truncatedNormal)
        case "heuniform": self = .varianceScaling(scale: 2, mode: .fanIn, distribution: .uniform)
        case "henormal": self = .varianceScaling(scale: 2, mode: .fanIn, distribution: .truncatedNormal)
        case "lecununiform": self = .varianceScaling(scale: 1, mode: .fanIn, distribution: .uniform)
        case "lecunnormal": self = .varianceScaling(scale: 1, mode: .fanIn, distribution: .truncatedNormal)
        case "orthogonal", "identity", "identityinitializer":
            // Keras builds them for matrices: a kernel (a convolution's seen as (kh·kw·in) × out).
            let isOrthogonal = className.lowercased() == "orthogonal"
            guard key.hasSuffix("kernel_initializer") || key == "depthwise_initializer" || key == "pointwise_initializer",
                  isOrthogonal || configuration.className == "Dense" else {
                throw configuration.error("\(key) \(className) is not supported (Keras builds it for \(isOrthogonal ? "kernels" : "Dense kernels") only)")
            }
            let gain = Float(try number("gain", 1))
            self = isOrthogonal ? .orthogonal(gain: gain) : .identity(gain: gain)
        case "variancescaling":
            let scale = try number("scale", 1)
            guard scale > 0 else { throw configuration.error("\(key): scale \(scale) must be positive") }
            let modeName = config?["mode"]?.string ?? "fan_in"
            guard let mode = FanMode(rawValue: modeName) else { throw configuration.error("\(key): mode '\(modeName)' is not supported") }
            // Keras 2's "normal" is the truncated normal.
            let distributionName = config?["distribution"]?.string.map { $0 == "normal" ? "truncated_normal" : $0 } ?? "truncated_normal"
            guard let distribution = Distribution(rawValue: distributionName) else {
                throw configuration.error("\(key): distribution '\(distributionName)' is not supported")
            }
            self = .varianceScaling(scale: scale, mode: mode, distribution: distribution)
        default:
            throw configuration.error("\(key) \(className) is not supported")
        }
    }

    /// Writes `count` values for a tensor with the given fans (Keras's: for a kernel of shape
    /// (kh, kw, in, out), `kh·kw·in` and `kh·kw·out`; as a matrix, `fanIn` rows).
    func fill(_ values: UnsafeMutablePointer<Float>, count: Int, fanIn: Int, fanOut: Int, generator: inout RandomGenerator) {
        switch self {
        case let .orthogonal(gain):
            let rows = max(fanIn, 1), columns = count / rows
            let q = Self.orthonormalColumns(rows: max(rows, columns), columns: min(rows, columns), generator: &generator)
            for row in 0..<rows {
                for column in 0..<columns {
                    // q is (max × min): the matrix itself, or its transpose for a wide one.
                    let value = rows >= columns ? q[row * columns + column] : q[column * rows + row]
                    values[row * columns + column] = gain * Float(value)
                }
            }
        case let .identity(gain):
            let rows = max(fanIn, 1), columns = count / rows
            for index in 0..<count { values[index] = index / columns == index % columns ? gain : 0 }
        case let .constant(value):
            values.update(repeating: value, count: count)
        case let .uniform(minimum, maximum):
            for index in 0..<count { values[index] = minimum + (maximum - minimum) * generator.nextUnitFloat() }
        case let .normal(mean, deviation, truncated):
            for index in 0..<count {
                values[index] = mean + deviation * Float(Self.standardNormal(&generator, truncated: truncated))
            }
        case let .varianceScaling(scale, mode, distribution):
            let counted = switch mode {
            case .fanIn: Double(fanIn)
            case .fanOut: Double(fanOut)
            case .fanAverage: Double(fanIn + fanOut) / 2
            }
            // Keras's variance scale / fan. Glorot-uniform's limit √(3 / ((in + out)/2)) is √(6 / (in + out))
            // to the last bit (halving is exact): Tandem's default draws as it always has.
            let fan = max(1, counted)
            switch distribution {
            case .uniform:
                let limit = Float((3 * scale / fan).squareRoot())
                for index in 0..<count { values[index] = (2 * generator.nextUnitFloat() - 1) * limit }
            case .truncatedNormal, .untruncatedNormal:
                // The standard deviation of a unit normal truncated at ±2 is 0.8796…: Keras divides it out.
                let truncated = distribution == .truncatedNormal
                let deviation = (scale / fan).squareRoot() / (truncated ? 0.87962566103423978 : 1)
                for index in 0..<count {
                    values[index] = Float(deviation * Self.standardNormal(&generator, truncated: truncated))
                }
            }
        }
    }

    /// A `rows × columns` matrix (rows ≥ columns, row-major) with orthonormal columns: modified
    /// Gram–Schmidt on a standard normal matrix drawn row by row, which gives QR's Q with R's diagonal
    /// positive. IEEE arithmetic and square roots only, so the same on every machine.
    static func orthonormalColumns(rows: Int, columns: Int, generator: inout RandomGenerator) -> [Double] {
        var matrix = (0..<rows * columns).map { _ in standardNormal(&generator, truncated: false) }
        for column in 0..<columns {
            for previous in 0..<column {
                var dot = 0.0
                for row in 0..<rows { dot += matrix[row * columns + previous] * matrix[row * columns + column] }
                for row in 0..<rows { matrix[row * columns + column] -= dot * matrix[row * columns + previous] }
            }
            var norm = 0.0
            for row in 0..<rows { norm += matrix[row * columns + column] * matrix[row * columns + column] }
            norm = norm.squareRoot()
            for row in 0..<rows { matrix[row * columns + column] /= norm }
        }
        return matrix
    }

    /// A standard normal draw by Marsaglia's polar method; truncated: drawn again beyond ±2.
    static func standardNormal(_ generator: inout RandomGenerator, truncated: Bool) -> Double {
        while true {
            let u = 2 * Double(generator.next() >> 11) * 0x1p-53 - 1
            let v = 2 * Double(generator.next() >> 11) * 0x1p-53 - 1
            let s = u * u + v * v
            guard s > 0, s < 1 else { continue }
            let z = u * (-2 * naturalLogarithm(s) / s).squareRoot()
            if !truncated || abs(z) <= 2 { return z }
        }
    }

    /// `log x` for 0 < x < 1 from IEEE arithmetic alone: x = m·2ᵉ with m in [1, 2), and
    /// log m = 2 atanh((m − 1)/(m + 1)) by its series (|t| ≤ 1/3: 20 terms reach double precision).
    static func naturalLogarithm(_ x: Double) -> Double {
        let exponent = Double(x.exponent)
        let m = x.significand
        let t = (m - 1) / (m + 1), t2 = t * t
        var term = t, sum = 0.0
        for k in 0..<20 {
            sum += term / Double(2 * k + 1)
            term *= t2
        }
        return 2 * sum + exponent * 0.69314718055994530942
    }
}
