import Foundation
import Testing
@testable import TandemCore

/// Keras model descriptions, as real Keras wrote them (`Tests/Fixtures/keras-models`, made by its
/// generate.py): supported ones build with Keras's shapes and parameter counts, unsupported ones are
/// refused with one line naming the layer and the option.
struct ModelDescriptionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/keras-models")

    static func fixture(_ path: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(path), encoding: .utf8)
    }

    static let supported = ["tutorial", "small-cnn", "cifar-cnn", "options", "dropout-cnn", "batchnorm-cnn", "normalization-cnn", "global-max",
                            "basic-classification", "logits-mismatch", "activations-cnn",
                            "vgg16", "functional-chain", "functional-chain-keras2", "initializers-cnn", "margins-cnn", "rescaling-cnn", "reshape-softmax",
                            "residual-cnn", "merge-cnn", "mobile-cnn", "resnet50", "densenet121", "mobilenetv2",
                            "transfer-cnn", "transfer-mobilenetv2", "resnet20-v1", "from-scratch", "regularized-cnn", "efficientnetb0",
                            "from-scratch-binary", "binary-cnn", "resize-cnn", "activity-cnn", "crop-cnn"]

    @Test("The built-in fashion-strong and fashion-resnet are Models/<name>.json, as Keras wrote them (the binary carries a copy, which must not drift)",
          arguments: [("fashion-strong", ModelDescription.fashionStrong), ("fashion-resnet", ModelDescription.fashionResNet)])
    func builtInModelsMatchTheirFiles(name: String, builtIn: ModelDescription) throws {
        let file = Self.fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Models/\(name).json")
        let written = try ModelDescription(json: String(contentsOf: file, encoding: .utf8), source: name)
        #expect(written == builtIn)
    }

    @Test("Every supported Keras model builds with Keras's layer names, output shapes and parameter counts",
          arguments: supported)
    func supportedModels(name: String) throws {
        let description = try ModelDescription(json: Self.fixture("supported/\(name).json"), source: name)
        let model = try Model(description: description)
        let expected = try JSONDecoder().decode([String: [[JSONValue]]].self,
                                                from: Data(Self.fixture("supported/expected-layers.json").utf8))[name]!
        #expect(model.layers.count == expected.count)
        for (layer, keras) in zip(model.layers, expected) {
            var shape = keras[1].array!.map { $0.integer! }
            // TensorShape does not tell a 1×1 image (VGG16's last pooling at 32×32) from a vector.
            if shape.count == 3 && shape[0] == 1 && shape[1] == 1 { shape = [shape[2]] }
            let ours = layer.outputShape.isVector ? [layer.outputShape.channels]
                : [layer.outputShape.height, layer.outputShape.width, layer.outputShape.channels]
            #expect(layer.name == keras[0].string!)
            #expect(ours == shape, "\(layer.name): \(ours) vs Keras \(shape)")
            #expect(layer.parameterCount == keras[2].integer!, "\(layer.name)")
        }
        // The stored form reads back to the same model.
        let reread = try ModelDescription(json: description.json, source: "stored")
        #expect(reread == description)
    }

    @Test("The built-in tutorial model is the one Keras describes, layer for layer")
    func tutorialMatchesKeras() throws {
        let keras = try Model(description: ModelDescription(json: Self.fixture("supported/tutorial.json"), source: "keras"))
        let builtIn = Model.tutorial()
        #expect(builtIn.layers.map(\.name) == keras.layers.map(\.name))
        #expect(builtIn.layers.map(\.outputShape) == keras.layers.map(\.outputShape))
        #expect(builtIn.layers.map(\.parameterBlocks) == keras.layers.map(\.parameterBlocks))
        #expect(builtIn.layers.map(\.summaryDetail) == keras.layers.map(\.summaryDetail))
    }

    @Test("Each unsupported model is refused with its one line")
    func unsupportedModels() throws {
        let expected = try JSONDecoder().decode([String: String].self,
                                                from: Data(Self.fixture("unsupported/expected-errors.json").utf8))
        #expect(expected.count == 11)
        for (name, line) in expected {
            #expect {
                _ = try Model(description: ModelDescription(json: Self.fixture("unsupported/\(name).json"), source: name))
            } throws: { error in
                "\(error)".hasSuffix(line) && !"\(error)".contains("\n")
            }
        }
    }

    @Test("The loss a model was compiled with is read from compile_config, and every difference from Tandem's training is one line")
    func compiledLoss() throws {
        func model(_ name: String) throws -> Model {
            try Model(description: ModelDescription(json: Self.fixture("supported/\(name).json"), source: name))
        }
        let basic = try model("basic-classification")   // TensorFlow's tutorial: Dense(10) logits, from_logits=True
        #expect(basic.output == .logits)
        #expect(basic.description.compiledLoss == CompiledLoss(name: "SparseCategoricalCrossentropy", fromLogits: true))
        #expect(basic.description.compiledLoss?.differences(output: basic.output, lastLayer: "dense_1") == [])
        let mismatch = try model("logits-mismatch")      // the same kind of model, compiled with Keras's default loss
        #expect(mismatch.description.compiledLoss == CompiledLoss(name: "sparse_categorical_crossentropy"))
        #expect(mismatch.description.compiledLoss?.differences(output: mismatch.output, lastLayer: "dense") ==
                ["the model was compiled with from_logits=False, but its last layer (dense) has no softmax: Tandem trains its outputs as logits, as from_logits=True would"])
        #expect(try model("tutorial").description.compiledLoss == nil)   // never compiled: compile_config is {}
        let other = CompiledLoss(name: "MeanSquaredError")
        #expect(other.differences(output: .probabilities, lastLayer: "d").count == 1)
        let smoothed = CompiledLoss(name: "CategoricalCrossentropy", fromLogits: true, labelSmoothing: 0.1)
        #expect(smoothed.differences(output: .probabilities, lastLayer: "d").count == 1)   // smoothing is applied, not warned of
    }

    @Test("Label smoothing: the loss and gradient of Keras's CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)")
    func labelSmoothing() {
        // Keras 3.15.1: the summed loss of two samples and tape.gradient with respect to the logits.
        let logits: [Float] = [1.0, 2.5, -0.5, 0.25, 3.0, -1.0, 0.0, 2.0], labels = [1, 3]
        let kerasLoss: Float = 2.220211982727051
        let kerasGradient: [Float] = [0.11188600957393646, -0.12447726726531982, -0.013878349214792252, 0.02646953985095024,
                                      0.6463874578475952, -0.03724522143602371, -0.015328910201787949, -0.593813419342041]
        var gradient = [Float](repeating: 0, count: 8)
        let result = SoftmaxCrossEntropy.lossAndGradient(logits: logits, count: 2, classes: 4, labels: { labels[$0] }, scale: 1,
                                                         labelSmoothing: 0.2, gradient: &gradient)
        #expect(abs(result.lossSum - kerasLoss) < 1e-5)
        #expect(zip(gradient, kerasGradient).allSatisfy { abs($0 - $1) < 1e-6 }, "\(gradient)")
        let evaluated = SoftmaxCrossEntropy.loss(logits: logits, classes: 4, label: 1, labelSmoothing: 0.2)
            + SoftmaxCrossEntropy.loss(logits: Array(logits[4...]), classes: 4, label: 3, labelSmoothing: 0.2)
        #expect(abs(evaluated - kerasLoss) < 1e-5)
    }

    @Test("Keys Keras versions add are ignored, missing keys take Keras's defaults")
    func tolerantReading() throws {
        let text = """
            {"class_name": "Sequential", "config": {"layers": [
              {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8]}},
              {"class_name": "Conv2D", "config": {"filters": 2, "kernel_size": 3, "some_future_option": {"x": 1}}},
              {"class_name": "MaxPooling2D", "config": {}},
              {"class_name": "Flatten", "config": {}},
              {"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}}]}}
            """
        let model = try Model(description: ModelDescription(json: text, source: "minimal"))
        #expect(model.inputShape == TensorShape(height: 8, width: 8, channels: 1))
        let convolution = try #require(model.layers[0] as? Conv2D)
        #expect(convolution.padding == .valid && convolution.strides == 1 && convolution.activation == .linear && convolution.useBias)
        #expect(model.layers[1].outputShape == TensorShape(height: 3, width: 3, channels: 2))   // pool 2, strides 2, valid
        #expect(model.layers.map(\.name) == ["layer_1", "layer_2", "layer_3", "layer_4"])   // unnamed layers counted from 1, the InputLayer aside
    }

    @Test("Bad descriptions: one line each, nothing allocated for absurd sizes", arguments: [
        ("not json", "not valid JSON"),
        ("{\"config\": {}}", "not a Keras model description"),
        ("{\"class_name\": \"Sequential\", \"config\": {\"layers\": []}}", "the model has no layers"),
        ("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 100000, 28, 1]}}, {\"class_name\": \"Flatten\", \"config\": {}}]}}",
         "input shape [null, 100000, 28, 1] is out of range"),
        ("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 4096, 4096, 64]}}, {\"class_name\": \"Flatten\", \"config\": {\"name\": \"f\"}}, {\"class_name\": \"Dense\", \"config\": {\"name\": \"huge\", \"units\": 65536, \"activation\": \"softmax\"}}]}}",
         "more than the 16 GiB Tandem allows"),
        ("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 8, 8, 1]}}, {\"class_name\": \"Conv2D\", \"config\": {\"name\": \"c\", \"filters\": 2, \"kernel_size\": 3, \"padding\": \"causal\"}}]}}",
         "c: padding 'causal' is not supported"),
        ("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 8, 8, 1]}}, {\"class_name\": \"Conv2D\", \"config\": {\"name\": \"c\", \"filters\": 2, \"kernel_size\": 3, \"activity_regularizer\": {\"class_name\": \"L2\"}}}]}}",
         "c: activity_regularizer L2 is not supported; an ActivityRegularization layer after it adds the same term to the loss"),
        ("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 8, 8, 1]}}, {\"class_name\": \"Flatten\", \"config\": {\"name\": \"f\", \"activity_regularizer\": {\"class_name\": \"L1\"}}}, {\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 4}}]}}",
         "f: activity_regularizer L1 is not supported; an ActivityRegularization layer after it adds the same term to the loss"),
        ("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 8, 8, 1]}}, {\"class_name\": \"Flatten\", \"config\": {\"name\": \"f\"}}, {\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 4, \"activation\": \"softmax\"}}, {\"class_name\": \"Dense\", \"config\": {\"name\": \"e\", \"units\": 4, \"activation\": \"softmax\"}}]}}",
         "d: a softmax is only supported on the last layer"),
        ("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 8, 8, 1]}}, {\"class_name\": \"Conv2D\", \"config\": {\"name\": \"c\", \"filters\": 2, \"kernel_size\": 9}}]}}",
         "c: a 9x9 'valid' convolution does not fit its input (None, 8, 8, 1)"),
        ("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 8, 8, 1]}}, {\"class_name\": \"Conv2D\", \"config\": {\"name\": \"c\", \"filters\": 2, \"kernel_size\": 3, \"activation\": \"exponential\"}}]}}",
         "c: activation 'exponential' is not supported"),
        ("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 8, 8, 1]}}, {\"class_name\": \"ReLU\", \"config\": {\"name\": \"r\", \"threshold\": -1}}]}}",
         "r: threshold -1 must be a number in 0.0…1000000.0"),
    ])
    func badDescriptions(text: String, message: String) {
        #expect {
            _ = try Model(description: ModelDescription(json: text, source: "model.json"))
        } throws: { error in
            "\(error)".contains(message) && !"\(error)".contains("\n")
        }
    }

    @Test("Checkpoints of format version 1 stored a compact description: it reads as the same Keras layers")
    func compactDescription() throws {
        let compact = try ModelDescription(compact: "input(28,28,1) conv2d(64,3,same,relu) conv2d(32,3,same,relu) maxpool(2) "
            + "conv2d(32,3,same,relu) conv2d(16,3,same,linear) maxpool(2) conv2d(16,3,same,linear) conv2d(8,3,same,linear) "
            + "maxpool(2) flatten dense(128,relu) dense(10,softmax)", name: "tutorial")
        #expect(compact == ModelDescription.tutorial)
    }

    @Test("Dropout: the same mask for the same (seed, epoch, sample, layer), another for another sample, none in inference")
    func dropoutMasks() throws {
        let layer = try Dropout(inputShape: .vector(10_000), rate: 0.25, position: 3)
        let harness = LayerHarness(layer)
        for index in 0..<harness.input.count { harness.input[index] = 1 }
        let first = harness.forward()
        #expect(harness.forward() == first)
        let dropped = first.filter { $0 == 0 }.count
        #expect(abs(Double(dropped) / 10_000 - 0.25) < 0.02, "\(dropped) of 10,000 dropped")
        #expect(first.allSatisfy { $0 == 0 || $0 == Float(1) / 0.75 })
        harness.sampleIndex += 1
        #expect(harness.forward() != first)
        harness.training = false
        #expect(harness.forward().allSatisfy { $0 == 1 })
    }
}

extension ModelDescriptionTests {
    @Test("Dropout's noise_shape and SpatialDropout2D: one draw shared along each axis of extent 1",
          arguments: [("Dropout", JSONValue.array([.null, .number(1), .number(1), .number(1)])),
                      ("Dropout", .array([.null, .number(1), .null, .number(1)])),
                      ("SpatialDropout2D", .null)])
    func dropoutNoiseShape(className: String, noiseShape: JSONValue) throws {
        let shape = TensorShape(height: 4, width: 5, channels: 3)
        let configuration = KerasLayerConfiguration(className: className, name: "drop",
                                                    config: ["rate": .number(0.5), "noise_shape": noiseShape])
        let layer = try LayerRegistry.make(configuration, inputShape: shape, context: LayerBuildContext()) as! Dropout
        let harness = LayerHarness(layer, count: 400)
        for index in 0..<harness.input.count { harness.input[index] = 1 }
        let output = harness.forward()
        let noise = layer.noiseShape
        var dropped = 0
        for sample in 0..<harness.count {
            for y in 0..<4 { for x in 0..<5 { for channel in 0..<3 {
                let value = output[((sample * 4 + y) * 5 + x) * 3 + channel]
                // The draw that decides this element sits at the first position of its shared axes.
                let first = output[((sample * 4 + (noise.height == 1 ? 0 : y)) * 5 + (noise.width == 1 ? 0 : x)) * 3
                                   + (noise.channels == 1 ? 0 : channel)]
                #expect(value == first && (value == 0 || value == 2))
                if value == 0 { dropped += 1 }
            } } }
        }
        #expect(abs(Double(dropped) / Double(output.count) - 0.5) < 0.06, "\(dropped) of \(output.count) dropped")
        harness.training = false
        #expect(harness.forward().allSatisfy { $0 == 1 })
    }

    @Test("GaussianNoise adds N(0, stddev²) and GaussianDropout multiplies by N(1, rate/(1 − rate)), the same draws for the same sample, the identity in inference",
          arguments: ["GaussianNoise", "GaussianDropout"])
    func gaussianNoise(className: String) throws {
        let configuration = KerasLayerConfiguration(className: className, name: "noise",
                                                    config: className == "GaussianNoise" ? ["stddev": .number(0.5)] : ["rate": .number(0.2)])
        let layer = try LayerRegistry.make(configuration, inputShape: .vector(20_000), context: LayerBuildContext())
        let harness = LayerHarness(layer)
        for index in 0..<harness.input.count { harness.input[index] = 2 }
        let output = harness.forward()
        #expect(harness.forward() == output)
        // The noise's mean and standard deviation: 0 and 0.5 added, or 1 and 0.5 (√(0.2/0.8)) as a factor of 2.
        let noise = output.map { className == "GaussianNoise" ? $0 - 2 : $0 / 2 - 1 }
        let mean = noise.reduce(0, +) / Float(noise.count)
        let deviation = (noise.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(noise.count)).squareRoot()
        #expect(abs(mean) < 0.02 && abs(deviation - 0.5) < 0.02, "mean \(mean), deviation \(deviation)")
        let gradient = harness.backward(outputGradient: Array(repeating: 1, count: 20_000)).input
        #expect(gradient == (className == "GaussianNoise" ? Array(repeating: 1, count: 20_000) : output.map { $0 / 2 }))
        harness.sampleIndex += 1
        #expect(harness.forward() != output)
        harness.training = false
        #expect(harness.forward().allSatisfy { $0 == 2 })
    }

    @Test("A noise_shape that does not fit the input is refused in one line")
    func badNoiseShape() {
        let configuration = KerasLayerConfiguration(className: "Dropout", name: "drop",
                                                    config: ["rate": .number(0.5), "noise_shape": .array([.null, .number(2), .number(1), .number(1)])])
        #expect {
            _ = try LayerRegistry.make(configuration, inputShape: TensorShape(height: 4, width: 5, channels: 3), context: LayerBuildContext())
        } throws: { "\($0)" == "drop: noise_shape [null, 2, 1, 1]: each axis must be None, 1 or the input's extent ((None, 4, 5, 3))" }
    }
}

/// The user guide's table of Keras layers cannot drift from what Tandem builds.
struct LayerListTests {
    @Test("Docs/user-guide.md's layer table names every Keras class the registry builds, and no other")
    func userGuideListsTheRegistry() throws {
        let guide = try String(contentsOf: ModelDescriptionTests.fixtures.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Docs/user-guide.md"), encoding: .utf8)
        let table = guide.components(separatedBy: "| Keras layer | options |")[1].components(separatedBy: "\n\n")[0]
        let listed = Set(table.split(separator: "\n").dropFirst().flatMap { row in   // after the |---| row
            row.split(separator: "|").first!.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " `")) }
        })
        #expect(listed == Set(LayerRegistry.supportedClassNames), "missing: \(Set(LayerRegistry.supportedClassNames).subtracting(listed).sorted()), not built: \(listed.subtracting(LayerRegistry.supportedClassNames).sorted())")
    }
}
