import TandemCore

/// The models `--model` knows by name, each with the recipe it trains with where no flag says otherwise.
package struct BuiltInModel: Sendable {
    package let name: String
    package let description: ModelDescription
    package let defaults: TrainingDefaults

    package static let all: [BuiltInModel] = [
        // Keras's defaults: the tutorial's 7 epochs of batch 32 with Adam at 0.001.
        BuiltInModel(name: "tutorial", description: .tutorial, defaults: TrainingDefaults()),
        // 22 epochs fit 15 minutes at -np 2 on 2 cores (README, Results; the first recipe's 20 epochs fell
        // 0.04 points short of 94% there).
        BuiltInModel(name: "fashion-strong", description: .fashionStrong, defaults: fashionStrongRecipe),
        // fashion-strong's recipe with label smoothing 0.1; 18 epochs fit 15 minutes at -np 2 on 2 cores
        // (about 40 s an epoch). Chosen on a tenth of the training set held out, against the same recipe
        // without smoothing and with a learning rate of 0.005 (Launch/results/fashion-resnet-pilot).
        BuiltInModel(name: "fashion-resnet", description: .fashionResNet, defaults: {
            var defaults = fashionStrongRecipe
            defaults.epochs = 18
            defaults.recipe.labelSmoothing = 0.1
            return defaults
        }()),
    ]

    /// AdamW 0.003 for 22 epochs, warm-up over the first, then cosine decay to 0.
    private static let fashionStrongRecipe: TrainingDefaults = {
        var defaults = TrainingDefaults()
        defaults.epochs = 22
        defaults.recipe.optimizer.kind = .adamw
        defaults.recipe.learningRate = 0.003
        defaults.recipe.warmupEpochs = 1
        defaults.recipe.schedule = .cosine
        return defaults
    }()

    package static func named(_ name: String) -> BuiltInModel? { all.first { $0.name == name } }
}

/// What a run takes where a flag is not given: Keras's defaults (7 epochs, batch 32, Adam 0.001), or the
/// recipe a built-in model brings with it.
package struct TrainingDefaults: Sendable {
    package var epochs = 7
    package var globalBatchSize = 32
    package var recipe = Recipe()

    package init() {}

    /// The defaults of built-in model `name`; Keras's for any other model.
    package static func forModel(named name: String?) -> TrainingDefaults {
        name.flatMap(BuiltInModel.named)?.defaults ?? TrainingDefaults()
    }
}
