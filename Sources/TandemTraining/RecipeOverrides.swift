import TandemCore

/// The recipe settings a run is given (the command line's optimiser and learning-rate flags), each
/// optional: a new run takes the model's own compile settings or Keras's default for what is not given; a
/// resumed run takes the checkpoint's recipe and refuses a setting that disagrees. Problems are named by
/// the command line's flags.
package struct RecipeOverrides: Sendable {
    package var optimizer: OptimizerSettings.Kind?
    package var learningRate: Float?
    package var learningRateScaling: LearningRateScaling?
    package var warmupEpochs: Double?
    package var schedule: LearningRateSchedule?
    package var weightDecay: Float?
    package var momentum: Float?
    package var nesterov = false
    package var rho: Float?
    package var labelSmoothing: Float?

    package init() {}

    /// The flags given, for the start-up report.
    package var given: [String] {
        [("--optimizer", optimizer != nil), ("--learning-rate", learningRate != nil), ("--lr-scaling", learningRateScaling != nil),
         ("--warmup-epochs", warmupEpochs != nil), ("--schedule", schedule != nil), ("--weight-decay", weightDecay != nil),
         ("--momentum", momentum != nil), ("--nesterov", nesterov), ("--rho", rho != nil), ("--label-smoothing", labelSmoothing != nil)]
            .filter(\.1).map(\.0)
    }

    /// A new run's recipe: `defaults`, then the model's own compile settings (`CompiledRecipe`), then
    /// these; with where it came from, in words.
    package func newRun(model source: ModelSource, defaults: Recipe) throws -> (recipe: Recipe, origin: String) {
        let compiled: CompiledRecipe
        do {
            compiled = try CompiledRecipe(description: source.description(), base: defaults, ignoringOptimizer: optimizer != nil)
        } catch let error as CompiledSettingsError {
            throw UsageError("\(source.name): compile_config: \(error)")
        }
        let sources = (compiled.taken.isEmpty ? [] : ["the model's compile_config (\(compiled.taken.joined(separator: ", ")))"])
            + (given.isEmpty ? [] : [given.joined(separator: ", ")])
        return (try applied(to: compiled.recipe, resumed: false), sources.isEmpty ? "defaults" : sources.joined(separator: "; then "))
    }

    /// `base` with the settings given applied. For a resumed run (`base` from the checkpoint) a setting
    /// that differs is refused, naming the flag and both values.
    package func applied(to base: Recipe, resumed: Bool) throws -> Recipe {
        var recipe = base
        let kind = optimizer ?? base.optimizer.kind
        if weightDecay != nil, kind != .adamw { throw UsageError("--weight-decay applies to --optimizer adamw only") }
        if momentum != nil, kind != .sgd && kind != .rmsprop { throw UsageError("--momentum applies to --optimizer sgd and rmsprop only") }
        if nesterov, kind != .sgd { throw UsageError("--nesterov applies to --optimizer sgd only") }
        if rho != nil, kind != .rmsprop { throw UsageError("--rho applies to --optimizer rmsprop only") }
        func set<Value: Equatable>(_ flag: String, _ given: Value?, _ path: WritableKeyPath<Recipe, Value>) throws {
            guard let given else { return }
            if resumed, recipe[keyPath: path] != given {
                throw UsageError("\(flag) \(given) differs from the checkpoint's \(recipe[keyPath: path]); a resumed run keeps its recipe (leave \(flag) out)")
            }
            recipe[keyPath: path] = given
        }
        try set("--optimizer", optimizer, \.optimizer.kind)
        try set("--learning-rate", learningRate, \.learningRate)
        try set("--lr-scaling", learningRateScaling, \.learningRateScaling)
        try set("--warmup-epochs", warmupEpochs, \.warmupEpochs)
        try set("--schedule", schedule, \.schedule)
        try set("--weight-decay", weightDecay, \.optimizer.weightDecay)
        try set("--momentum", momentum, \.optimizer.momentum)
        try set("--nesterov", nesterov ? true : nil, \.optimizer.nesterov)
        try set("--rho", rho, \.optimizer.rho)
        try set("--label-smoothing", labelSmoothing, \.labelSmoothing)
        return recipe
    }
}
