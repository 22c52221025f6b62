import Foundation
import Testing
@testable import TandemCore
@testable import TandemTraining

/// A compiled model's own settings (`compile_config`, as real Keras 3 writes it in
/// `Tests/Fixtures/keras-models/compiled/`) become a new run's recipe, or are refused in one line.
struct CompiledRecipeTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/keras-models/compiled")
    static let expected = try! JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))
    static let names = expected.object!.keys.sorted()

    @Test("Each compile_config gives the recipe Keras's optimizer and loss describe, or its one line", arguments: names)
    func compileConfig(name: String) throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name + ".json"), encoding: .utf8)
        let description = try ModelDescription(json: text, source: name)
        let outcome = Self.expected[name]!
        if let line = outcome.string {
            #expect { _ = try CompiledRecipe(description: description, base: Recipe()) } throws: { "\($0)" == line }
            // Naming an optimizer on the command line sets the file's aside.
            #expect(throws: Never.self) { _ = try CompiledRecipe(description: description, base: Recipe(), ignoringOptimizer: true) }
            return
        }
        let recipe = try CompiledRecipe(description: description, base: Recipe()).recipe
        let optimizer = recipe.optimizer
        for (key, value) in outcome.object! {
            switch key {
            case "kind": #expect(optimizer.kind.rawValue == value.string)
            case "nesterov": #expect(optimizer.nesterov == value.bool)
            default:
                let actual: Float = switch key {
                case "learningRate": recipe.learningRate
                case "labelSmoothing": recipe.labelSmoothing
                case "beta1": optimizer.beta1
                case "beta2": optimizer.beta2
                case "epsilon": optimizer.epsilon
                case "weightDecay": optimizer.weightDecay
                case "momentum": optimizer.momentum
                case "rho": optimizer.rho
                default: .nan
                }
                #expect(actual == Float(value.number!), "\(key)")
            }
        }
    }

    @Test("A recipe stored before a field existed (RMSprop's rho, label smoothing) reads with that field's default")
    func olderRecipe() throws {
        let stored = #"{"learningRate":0.003,"learningRateScaling":"none","referenceBatchSize":32,"warmupEpochs":1,"schedule":"cosine","decayEpochs":22,"optimizer":{"kind":"adamw","beta1":0.9,"beta2":0.999,"epsilon":1e-07,"weightDecay":0.004,"momentum":0,"nesterov":false}}"#
        let recipe = try Recipe.decoded(from: Data(stored.utf8))
        #expect(recipe.learningRate == 0.003 && recipe.optimizer.kind == .adamw && recipe.decayEpochs == 22)
        #expect(recipe.labelSmoothing == 0 && recipe.optimizer.rho == 0.9)
    }
}
