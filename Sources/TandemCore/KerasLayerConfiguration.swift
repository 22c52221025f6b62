import Foundation

/// One layer of a Keras model description: its class, its name and its `config`, with readers that
/// apply Keras's defaults to missing keys, ignore keys Tandem does not use, and turn anything Tandem
/// cannot honour into one line naming the layer and the option (`conv2d_3: dilation_rate [2, 2] is
/// not supported`).
package struct KerasLayerConfiguration: Sendable, Equatable {
    package let className: String
    package let name: String
    package let config: [String: JSONValue]

    package init(className: String, name: String, config: [String: JSONValue]) {
        self.className = className
        self.name = name
        self.config = config
    }

    /// The largest filter, unit, group or channel count a layer may ask for: far beyond any CNN that
    /// trains on CPUs, and small enough that a typo (10⁹ filters) is refused before anything is allocated.
    package static let largestWidth = 1 << 16
    /// The largest kernel, pool or stride extent.
    package static let largestExtent = 64

    package func error(_ message: String) -> ModelDefinitionError { ModelDefinitionError("\(name): \(message)") }

    func unsupported(_ key: String) -> ModelDefinitionError {
        error("\(key) \(config[key]?.displayText ?? "null") is not supported")
    }

    /// A whole number in `range`; `fallback` where the key is missing (or null).
    package func integer(_ key: String, default fallback: Int? = nil, in range: ClosedRange<Int>) throws -> Int {
        guard let value = config[key], value != .null else {
            guard let fallback else { throw error("\(key) is missing") }
            return fallback
        }
        guard let integer = value.integer else { throw error("\(key) \(value.displayText) is not a whole number") }
        guard range.contains(integer) else {
            throw error("\(key) \(integer) is out of range (\(range.lowerBound)…\(range.upperBound))")
        }
        return integer
    }

    /// Two whole numbers in `range`, written `[a, b]` (Keras's form) or as one number for both.
    package func pair(_ key: String, default fallback: (Int, Int)? = nil, in range: ClosedRange<Int>) throws -> (Int, Int) {
        guard let value = config[key], value != .null else {
            guard let fallback else { throw error("\(key) is missing") }
            return fallback
        }
        let numbers = value.array ?? [value]
        let integers = numbers.compactMap(\.integer)
        guard integers.count == numbers.count, (1...2).contains(integers.count) else {
            throw error("\(key) \(value.displayText) is not one or two whole numbers")
        }
        for integer in integers where !range.contains(integer) {
            throw error("\(key) \(value.displayText) is out of range (\(range.lowerBound)…\(range.upperBound))")
        }
        return (integers[0], integers.last!)
    }

    package func number(_ key: String, default fallback: Double, in range: ClosedRange<Double>) throws -> Double {
        guard let value = config[key], value != .null else { return fallback }
        guard let number = value.number, range.contains(number) else {
            throw error("\(key) \(value.displayText) must be a number in \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    /// A number, or nil where the key is missing or null (Keras's "none").
    package func optionalNumber(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let value = config[key], value != .null else { return nil }
        return try number(key, default: 0, in: range)
    }

    package func flag(_ key: String, default fallback: Bool) throws -> Bool {
        guard let value = config[key], value != .null else { return fallback }
        guard let bool = value.bool else { throw error("\(key) \(value.displayText) must be true or false") }
        return bool
    }

    /// One of `allowed` (compared in lower case); anything else is "not supported".
    package func choice(_ key: String, default fallback: String, allowed: [String]) throws -> String {
        guard let value = config[key], value != .null else { return fallback }
        guard let text = value.string?.lowercased(), allowed.contains(text) else { throw unsupported(key) }
        return text
    }

    /// Refuses `key` unless it is missing, null, or one of `accepted` (e.g. `dilation_rate` [1, 1]).
    package func require(_ key: String, isOneOf accepted: [JSONValue]) throws {
        guard let value = config[key], value != .null else { return }
        let normalized = value.array.map { values in values.allSatisfy { $0 == values.first } ? values.first! : value } ?? value
        guard accepted.contains(value) || accepted.contains(normalized) else { throw unsupported(key) }
    }

    /// `data_format`: channels last only (Keras's default), the layout Tandem computes in.
    package func requireChannelsLast() throws {
        try require("data_format", isOneOf: [.string("channels_last")])
    }
}

extension KerasLayerConfiguration {
    /// `activation` of a layer with weights: linear (Keras's default, also written null), relu, sigmoid,
    /// tanh or softmax, which the layer computes itself; any other Keras activation (silu, gelu, …) as a
    /// linear output followed by a `TrailingActivation`.
    package func activation(_ key: String = "activation") throws -> (activation: KerasActivation, trailing: TrailingActivation?) {
        let name = try choice(key, default: "linear", allowed: Array(PointwiseFunction.byKerasName.keys))
        let function = PointwiseFunction.byKerasName[name]!
        guard let computed = function.kerasActivation else { return (.hidden(.linear), TrailingActivation(function: function)) }
        return (computed, nil)
    }

    /// Keras's image preprocessing `factor` (`RandomContrast`, `RandomBrightness`): a number `f` for
    /// `max(−f, bounds.lower)…f`, or a pair, sorted; each within `bounds`.
    package func factorRange(_ key: String = "factor", bounds: ClosedRange<Double>) throws -> ClosedRange<Float> {
        guard let value = config[key], value != .null else { throw error("\(key) is missing") }
        let numbers = (value.array ?? [value]).compactMap(\.number)
        guard (1...2).contains(numbers.count), numbers.count == (value.array?.count ?? 1), numbers.allSatisfy(bounds.contains) else {
            throw error("\(key) \(value.displayText) must be a number or a pair of numbers in \(bounds.lowerBound)…\(bounds.upperBound)")
        }
        let (lower, upper) = numbers.count == 1 ? (max(-abs(numbers[0]), bounds.lowerBound), abs(numbers[0])) : (numbers.min()!, numbers.max()!)
        return Float(lower)...Float(upper)
    }

    /// A value per channel (Normalization's `mean`, RandomErasing's `fill_value`): one finite number for
    /// every channel, or a list of `channels` of them; nil where the key is missing or null.
    package func perChannel(_ key: String, channels: Int) throws -> [Float]? {
        guard let value = config[key], value != .null else { return nil }
        let numbers = (value.array ?? [value]).compactMap(\.number).map(Float.init)
        guard numbers.count == (value.array?.count ?? 1), numbers.count == 1 || numbers.count == channels,
              numbers.allSatisfy(\.isFinite) else {
            throw error("\(key) \(value.displayText) is not one number or one per channel (\(channels))")
        }
        return numbers.count == 1 ? Array(repeating: numbers[0], count: channels) : numbers
    }

    /// `value_range`: the pixel values' `[low, high]` (Keras's default 0…255).
    package func valueRange() throws -> ClosedRange<Float> {
        guard let value = config["value_range"], value != .null else { return 0...255 }
        guard let numbers = value.array?.compactMap(\.number), numbers.count == 2, numbers[0] < numbers[1],
              numbers.allSatisfy({ abs($0) < 1e9 }) else {
            throw error("value_range \(value.displayText) must be [low, high]")
        }
        return Float(numbers[0])...Float(numbers[1])
    }

    /// `padding`: same or valid (Keras's default).
    package func padding() throws -> Padding {
        Padding(rawValue: try choice("padding", default: "valid", allowed: ["same", "valid"]))!
    }

    /// The kernel's and the bias's initializers (Keras's defaults: Glorot-uniform, zeros). Constraints
    /// are refused: a model that asks for them would silently train differently (weight regularisers
    /// are read by the model: `regularizer(forWeights:)`; activity regularisers are refused for every
    /// layer by `LayerRegistry.make`).
    /// - Parameter kernel: the kernel's name in the keys (`depthwise` for `depthwise_initializer`).
    package func kernelAndBiasInitializers(kernel: String = "kernel") throws -> (kernel: Initializer, bias: Initializer) {
        try refuse(config.keys.sorted().filter { $0.hasSuffix("_constraint") })
        return (try initializer("\(kernel)_initializer", default: .glorotUniform), try initializer("bias_initializer", default: .zeros))
    }

    /// The regulariser of a block of weights (`kernel` reads `kernel_regularizer`, `depthwise_kernel`
    /// `depthwise_regularizer`, `gamma` `gamma_regularizer`); nil for none.
    package func regularizer(forWeights block: String) throws -> Regularizer? {
        let key = (block.hasSuffix("_kernel") ? String(block.dropLast("_kernel".count)) : block) + "_regularizer"
        guard let value = config[key] else { return nil }
        return try Regularizer(keras: value, key: key, configuration: self)
    }

    func initializer(_ key: String, default fallback: Initializer) throws -> Initializer {
        guard let value = config[key], value != .null else { return fallback }
        return try Initializer(keras: value, key: key, configuration: self)
    }

    /// Normalisation layers: gamma starts at one and beta at zero, no regularisers or constraints.
    package func requireNormalizationDefaults() throws {
        try require(initializers: [("gamma_initializer", "Ones"), ("beta_initializer", "Zeros"),
                                   ("moving_mean_initializer", "Zeros"), ("moving_variance_initializer", "Ones")])
        try refuse(["beta_constraint", "gamma_constraint"])
    }

    /// Each initialiser key, where given, must name `accepted` (as a string, `glorot_uniform`, or as
    /// an object's `class_name`, `GlorotUniform`).
    private func require(initializers: [(key: String, accepted: String)]) throws {
        for (key, accepted) in initializers {
            guard let value = config[key], value != .null else { continue }
            let name = value.string ?? value["class_name"]?.string
            guard let name, name.replacingOccurrences(of: "_", with: "").lowercased() == accepted.lowercased() else {
                throw error("\(key) \(value["class_name"]?.string ?? value.displayText) is not supported (only \(accepted))")
            }
        }
    }

    /// Each key must be missing or null.
    private func refuse(_ keys: [String]) throws {
        for key in keys {
            if let value = config[key], value != .null {
                throw error("\(key) \(value["class_name"]?.string ?? value.displayText) is not supported")
            }
        }
    }
}
