/// Keras's weight regularisers, `L1`, `L2` and `L1L2` (`kernel_regularizer`, `bias_regularizer`, …):
/// `l1 · Σ|w| + l2 · Σw²` added to the loss, so `l1 · sign(w) + 2 · l2 · w` added to the gradient.
///
/// As in Keras they are part of the step, not of the samples: the optimizer adds the penalty's gradient
/// once per step, to the gradient of the batch's mean loss, from the weights every rank holds alike, so
/// it does not depend on the rank count or the micro-batches; the reported loss includes the penalty.
package struct Regularizer: Sendable, Equatable {
    package var l1: Float
    package var l2: Float

    package init(l1: Float = 0, l2: Float = 0) {
        self.l1 = l1
        self.l2 = l2
    }

    /// A regulariser as Keras writes it: a name (`"l2"`, Keras's default factor 0.01) or an object
    /// (`{"class_name": "L2", "config": {"l2": 0.0001}}`; `L1`, `L1L2`). `nil` for none.
    init?(keras value: JSONValue, key: String, configuration: KerasLayerConfiguration) throws {
        if value == .null { return nil }
        let className = (value.string ?? value["class_name"]?.string ?? "").lowercased().replacingOccurrences(of: "_", with: "")
        let options = value["config"] ?? .object([:])
        func factor(_ name: String, default fallback: Double) throws -> Float {
            guard let setting = options[name], setting != .null else { return Float(fallback) }
            guard let number = setting.number, number >= 0, number.isFinite else {
                throw configuration.error("\(key) \(name) \(setting.displayText) must be a number ≥ 0")
            }
            return Float(number)
        }
        switch className {
        case "l2": self.init(l2: try factor("l2", default: 0.01))
        case "l1": self.init(l1: try factor("l1", default: 0.01))
        case "l1l2": self.init(l1: try factor("l1", default: 0), l2: try factor("l2", default: 0))
        default:
            throw configuration.error("\(key) \(value["class_name"]?.string ?? value.displayText) is not supported (L1, L2 or L1L2)")
        }
    }

    /// `l1 · Σ|w| + l2 · Σw²` over `weights`, in order, in doubles.
    package func penalty(_ weights: UnsafeBufferPointer<Float>) -> Double {
        var absolute = 0.0, squares = 0.0
        for weight in weights {
            absolute += Double(abs(weight))
            squares += Double(weight) * Double(weight)
        }
        return Double(l1) * absolute + Double(l2) * squares
    }
}
