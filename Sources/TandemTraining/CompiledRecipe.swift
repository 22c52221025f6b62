import TandemCore

/// A Keras model's own compile settings as the recipe a new run starts from: `compile_config`'s
/// optimizer (Adam, AdamW, SGD or RMSprop, with its learning rate and constants) and its loss's
/// `label_smoothing`, in a `.keras` archive's config.json or in `model.to_json()` of a compiled model.
/// Flags given on the command line override it; `--optimizer` sets the file's optimizer aside entirely.
///
/// Every key of the optimizer is honoured or refused in one line: what Tandem does not apply (gradient
/// clipping, EMA, gradient accumulation, a learning-rate schedule object, AMSGrad, centred RMSprop)
/// would otherwise train another model than the file describes.
package struct CompiledRecipe: Sendable {
    package let recipe: Recipe
    /// What the recipe took from the file, in words (empty when nothing).
    package let taken: [String]

    /// - Parameter ignoringOptimizer: the command line names an optimizer; the file's is not read.
    package init(description: ModelDescription, base: Recipe, ignoringOptimizer: Bool = false) throws {
        var recipe = base
        var taken: [String] = []
        if !ignoringOptimizer, let optimizer = description.compiledOptimizer {
            try Self.apply(optimizer: optimizer, to: &recipe)
            taken.append("optimizer \(recipe.optimizer.kind.rawValue), learning rate \(recipe.learningRate)")
        }
        if let loss = description.compiledLoss, loss.labelSmoothing != 0,
           CompiledLoss.crossEntropyNames.union(CompiledLoss.binaryCrossEntropyNames).contains(loss.name) {
            guard (0..<1).contains(loss.labelSmoothing) else {
                throw CompiledSettingsError("the loss's label_smoothing \(loss.labelSmoothing) is not in [0, 1)")
            }
            recipe.labelSmoothing = Float(loss.labelSmoothing)
            taken.append("label smoothing \(recipe.labelSmoothing)")
        }
        self.recipe = recipe
        self.taken = taken
    }

    static let kinds: [String: OptimizerSettings.Kind] = ["adam": .adam, "adamw": .adamw, "sgd": .sgd, "rmsprop": .rmsprop]

    /// Keras 3's serialised optimizer (`{"class_name": "Adam", "config": {...}}`) or its name (`"adam"`).
    static func apply(optimizer value: JSONValue, to recipe: inout Recipe) throws {
        let className = value.string ?? value["class_name"]?.string ?? ""
        guard let kind = kinds[className.lowercased()] else {
            throw CompiledSettingsError("optimizer \(className.isEmpty ? value.displayText : className) is not supported (Adam, AdamW, SGD or RMSprop); pass --optimizer to train with one of Tandem's")
        }
        var settings = OptimizerSettings()
        settings.kind = kind
        let config = value["config"]?.object ?? [:]
        func number(_ key: String) throws -> Float? {
            guard let entry = config[key], entry != .null else { return nil }
            guard let number = entry.number, number.isFinite else {
                throw CompiledSettingsError("the optimizer's \(key) \(entry.displayText) is not a number")
            }
            return Float(number)
        }
        func refuse(_ key: String, unless harmless: (JSONValue) -> Bool, what: String) throws {
            guard let entry = config[key], entry != .null, !harmless(entry) else { return }
            throw CompiledSettingsError("the optimizer's \(key) \(entry.displayText) (\(what)) is not supported; pass --optimizer to train with Tandem's instead")
        }
        if let rate = config["learning_rate"], rate.object != nil {
            throw CompiledSettingsError("the optimizer's learning_rate is a \(rate["class_name"]?.string ?? "schedule") schedule, which Tandem does not follow; pass --learning-rate (and --schedule, --warmup-epochs)")
        }
        try refuse("clipnorm", unless: { _ in false }, what: "gradient clipping")
        try refuse("global_clipnorm", unless: { _ in false }, what: "gradient clipping")
        try refuse("clipvalue", unless: { _ in false }, what: "gradient clipping")
        try refuse("use_ema", unless: { $0 == .bool(false) }, what: "an exponential moving average of the weights")
        try refuse("gradient_accumulation_steps", unless: { _ in false }, what: "gradient accumulation; use a larger --batch-size")
        try refuse("loss_scale_factor", unless: { _ in false }, what: "loss scaling")
        try refuse("amsgrad", unless: { $0 == .bool(false) }, what: "AMSGrad")
        try refuse("centered", unless: { $0 == .bool(false) }, what: "centred RMSprop")
        try refuse("decay", unless: { $0 == .number(0) }, what: "Keras 2's learning-rate decay")
        // Keras 3 gives every optimizer a decoupled weight_decay; on Adam it is AdamW (the same decay before
        // the step), and AdamW's default is 0.004 where the key is missing.
        let decay = try number("weight_decay") ?? (kind == .adamw && config["weight_decay"] == nil ? OptimizerSettings().weightDecay : 0)
        if decay != 0 {
            guard kind == .adam || kind == .adamw else {
                throw CompiledSettingsError("the optimizer's weight_decay \(decay) on \(className) is not supported; pass --optimizer to train with Tandem's instead")
            }
            settings.kind = .adamw
            settings.weightDecay = decay
        } else if kind == .adamw {
            settings.kind = .adam   // AdamW without decay is Adam
        }
        if let rate = try number("learning_rate") {
            guard rate > 0 else { throw CompiledSettingsError("the optimizer's learning_rate \(rate) is not positive") }
            recipe.learningRate = rate
        }
        switch kind {
        case .adam, .adamw:
            settings.beta1 = try number("beta_1") ?? settings.beta1
            settings.beta2 = try number("beta_2") ?? settings.beta2
            settings.epsilon = try number("epsilon") ?? settings.epsilon
        case .sgd:
            settings.momentum = try number("momentum") ?? 0
            settings.nesterov = config["nesterov"]?.bool ?? false
        case .rmsprop:
            settings.rho = try number("rho") ?? settings.rho
            settings.momentum = try number("momentum") ?? 0
            settings.epsilon = try number("epsilon") ?? settings.epsilon
        }
        guard (0...1).contains(settings.momentum) else { throw CompiledSettingsError("the optimizer's momentum \(settings.momentum) is not in 0…1") }
        recipe.optimizer = settings
    }
}

/// A compile setting Tandem cannot honour, in words; the caller names the file.
package struct CompiledSettingsError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
