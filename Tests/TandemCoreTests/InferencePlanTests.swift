import Testing
@testable import TandemCore

/// Forward-only workspaces (evaluation, prediction) keep an activation only until its last reader has
/// run (`InferencePlan`): no buffer ever holds two live activations, and the outputs are those of a
/// training workspace, bit for bit.
struct InferencePlanTests {
    func model(_ name: String) throws -> Model {
        try Model(description: ModelDescription(json: ModelDescriptionTests.fixture("supported/\(name).json"), source: name))
    }

    @Test("Activations that share a buffer are never alive at once (a layer's output never shares with its inputs), every buffer holds what it is given, and the model's input, output and loss-term inputs keep their own",
          arguments: ModelDescriptionTests.supported)
    func sharedBuffersNeverOverlap(name: String) throws {
        let model = try model(name), plan = model.inferencePlan
        let count = model.layers.count
        var lastReader = [Int](repeating: -1, count: count + 1)
        for (layer, inputs) in model.layerInputs.enumerated() {
            for activation in inputs { lastReader[activation] = max(lastReader[activation], layer) }
        }
        let kept = Set([0, count] + model.lossTermLayers.map { model.layerInputs[$0][0] })
        // Activation a is written by layer a − 1 (the input before layer 0) and read up to its last reader.
        let lifetime = (0...count).map { activation in
            (activation - 1)...(kept.contains(activation) ? Int.max : max(lastReader[activation], activation - 1))
        }
        for first in 0...count {
            #expect(plan.bufferSizes[plan.buffers[first]] >= model.activationShapes[first].count, "\(name): activation \(first)")
            for second in (first + 1)..<(count + 1) where plan.buffers[first] == plan.buffers[second] {
                #expect(!lifetime[first].overlaps(lifetime[second]), "\(name): activations \(first) and \(second) share buffer \(plan.buffers[first])")
            }
        }
        let planned = plan.bufferSizes.reduce(0, +), everything = model.activationShapes.reduce(0) { $0 + $1.count }
        #expect(planned <= everything)
        if count > 4 { #expect(planned < everything, "\(name): nothing shared") }
    }

    @Test("An inference workspace gives a training workspace's outputs and loss terms bit for bit: chains, residual and merge graphs, nested models, depthwise blocks, squeeze-and-excitation, dense concatenation, activity regularisers",
          arguments: ["tutorial", "residual-cnn", "merge-cnn", "mobile-cnn", "transfer-cnn", "activity-cnn", "resnet20-v1",
                      "efficientnetb0", "densenet121"])
    func sameOutputsAsTraining(name: String) throws {
        let model = try model(name), samples = 3
        let parameters = FloatBuffer(count: model.parameterCount)
        model.initializeParameters(parameters.buffer, seed: 5)
        let images = randomValues(samples * model.inputShape.count, seed: 9)
        func outputs(_ use: ModelWorkspace.Use) -> (logits: [UInt32], lossTerms: Float) {
            let workspace = ModelWorkspace(model: model, capacity: samples, use: use)
            model.prepare(parameters: parameters.pointer, workspace: workspace)
            images.withUnsafeBufferPointer { workspace.input.update(from: $0.baseAddress!, count: $0.count) }
            workspace.count = samples
            let logits = model.forward(parameters: parameters.pointer, workspace: workspace)
            return ((0..<samples * model.classCount).map { logits[$0].bitPattern }, model.lossTerms(workspace: workspace))
        }
        let training = outputs(.training), inference = outputs(.inference)
        #expect(training.logits == inference.logits)
        #expect(training.lossTerms.bitPattern == inference.lossTerms.bitPattern)
    }
}
