import Foundation

/// A Keras model as Keras describes it: the JSON of `model.to_json()`, which is also the `config.json`
/// inside a `.keras` archive. A `Sequential` model is a chain of layers, a Functional one a graph
/// (`FunctionalGraph`): both are layers in an order where each comes after those it reads, and the
/// activations each takes. Parsed with Foundation's `JSONDecoder`; keys Tandem does
/// not use are ignored, missing keys take Keras's defaults, and what Tandem cannot honour is refused
/// by the layer that reads it (`LayerRegistry`), in one line naming the layer and the option.
///
/// The description is what checkpoints store (`json`), so a checkpoint rebuilds its model alone.
package struct ModelDescription: Sendable, Equatable {
    package let name: String
    package let inputShape: TensorShape
    package let layers: [KerasLayerConfiguration]
    /// For each layer, the activations it takes, in call order: 0 is the model's input, `i + 1` the
    /// output of layer `i`. Each layer comes after those it reads and the last is the model's output;
    /// a Sequential model's layer `i` takes `[i]`.
    package let inputs: [[Int]]
    /// The layers called with `training=False` (a base model under a new head): batch-norm uses its
    /// moving statistics, Dropout and augmentation do nothing, even in training.
    package let inferenceCalls: Set<Int>
    /// The loss the file's `compile_config` names, if the model was compiled before it was saved. Tandem
    /// always trains with softmax cross-entropy; this only decides which warnings start-up prints.
    /// Not part of `json`: a checkpoint keeps the model, not the file's compile settings.
    package var compiledLoss: CompiledLoss?
    /// The optimizer `compile_config` names (Keras's serialised optimizer), if any: a new run's recipe
    /// starts from it (`CompiledRecipe`). Not part of `json`, like `compiledLoss`.
    package var compiledOptimizer: JSONValue?

    /// The largest input height or width, and channel count, a description may declare.
    package static let largestInputExtent = 1 << 14
    package static let largestInputChannels = 1 << 12

    /// The same model: name, input and layers (not the compile settings the file came with).
    package static func == (left: ModelDescription, right: ModelDescription) -> Bool {
        left.name == right.name && left.inputShape == right.inputShape && left.layers == right.layers
            && left.inputs == right.inputs && left.inferenceCalls == right.inferenceCalls
    }

    /// - Parameter inputs: what each layer takes (see `inputs`); `nil` for a chain, each layer taking
    ///   the one before it.
    package init(name: String, inputShape: TensorShape, layers: [KerasLayerConfiguration], inputs: [[Int]]? = nil,
                 inferenceCalls: Set<Int> = []) {
        self.name = name
        self.inputShape = inputShape
        self.layers = layers
        self.inputs = inputs ?? layers.indices.map { [$0] }
        self.inferenceCalls = inferenceCalls
        precondition(self.inputs.count == layers.count
                     && self.inputs.enumerated().allSatisfy { layer, inputs in !inputs.isEmpty && inputs.allSatisfy { $0 <= layer } },
                     "each layer takes activations computed before it")
    }

    /// Whether each layer takes the one before it, as in a Keras `Sequential` model.
    package var isChain: Bool { inputs.enumerated().allSatisfy { $1 == [$0] } }

    /// Parses Keras JSON text; `source` names it in error messages (a path, or "the checkpoint").
    package init(json text: String, source: String) throws {
        func fail(_ problem: String) -> ModelDefinitionError { ModelDefinitionError("\(source): \(problem)") }
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw fail("not valid JSON (\(Self.reason(error)))")
        }
        guard let className = root["class_name"]?.string else {
            throw fail("not a Keras model description (no class_name at the top level)")
        }
        guard FunctionalGraph.modelClassNames.contains(className) else {
            throw fail("the model is a \(className) model; Tandem trains Keras Sequential and Functional models")
        }
        let graph = try FunctionalGraph(root, fail: fail)
        let entries = [graph.input].compactMap { $0 } + graph.layers
        var layers: [KerasLayerConfiguration] = []
        var declaredInput: JSONValue?
        for (index, entry) in entries.enumerated() {
            guard let className = entry["class_name"]?.string, let config = entry["config"]?.object else {
                throw fail("layer \(index + 1) has no class_name and config")
            }
            let name = config["name"]?.string ?? "layer_\(layers.count + 1)"   // counted without the InputLayer, which a stored description may add
            if className == "InputLayer" {
                guard layers.isEmpty else { throw fail("\(name): an InputLayer after the first layer is not supported") }
                declaredInput = config["batch_shape"] ?? config["batch_input_shape"]
                continue
            }
            if layers.isEmpty, declaredInput == nil {   // Keras 2 style: the first layer carries the input shape.
                declaredInput = config["batch_input_shape"] ?? config["batch_shape"] ?? entry["build_config"]?["input_shape"]
            }
            layers.append(KerasLayerConfiguration(className: className, name: name, config: config))
        }
        guard !layers.isEmpty else { throw fail("the model has no layers") }
        var names = Set<String>()
        if let repeated = layers.first(where: { !names.insert($0.name).inserted }) {
            throw fail("\(repeated.name): two layers have this name")
        }
        guard let declaredInput else { throw fail("the model declares no input shape (no InputLayer with batch_shape)") }
        self.init(name: root["config"]?["name"]?.string ?? "sequential",
                  inputShape: try Self.inputShape(declaredInput, fail: fail), layers: layers, inputs: graph.inputs,
                  inferenceCalls: graph.inferenceCalls)
        compiledLoss = root["compile_config"]?["loss"].flatMap(CompiledLoss.init(keras:))
        compiledOptimizer = root["compile_config"]?["optimizer"].flatMap { $0 == .null ? nil : $0 }
    }

    /// `[null, H, W, C]`, or `[null, H, W]` for one channel.
    private static func inputShape(_ value: JSONValue, fail: (String) -> ModelDefinitionError) throws -> TensorShape {
        guard let dimensions = value.array, dimensions.first == .null,
              [3, 4].contains(dimensions.count), dimensions.dropFirst().allSatisfy({ $0.integer != nil }) else {
            throw fail("input shape \(value.displayText) is not supported (expected [null, height, width, channels])")
        }
        let sizes = dimensions.dropFirst().map { $0.integer! }
        let (height, width, channels) = (sizes[0], sizes[1], sizes.count == 3 ? sizes[2] : 1)
        guard (1...largestInputExtent).contains(height), (1...largestInputExtent).contains(width),
              (1...largestInputChannels).contains(channels) else {
            throw fail("input shape \(value.displayText) is out of range (height and width 1…\(largestInputExtent), channels 1…\(largestInputChannels))")
        }
        return TensorShape(height: height, width: width, channels: channels)
    }

    private static func reason(_ error: Error) -> String {
        if case let DecodingError.dataCorrupted(context) = error {
            return (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
        }
        return "\(error)"
    }

    /// Keras JSON, as `model.to_json()` writes it (an `InputLayer` first), keys sorted: what a
    /// checkpoint stores and what Keras's `model_from_json` reads. A chain is written as a `Sequential`
    /// model, a graph as a Functional one in Keras 3's form.
    package var json: String {
        func entry(_ className: String, _ config: [String: JSONValue]) -> [String: JSONValue] {
            ["module": .string("keras.layers"), "class_name": .string(className), "config": .object(config),
             "registered_name": .null]
        }
        let layerNames = Set(layers.map(\.name))
        let inputName = (0...).lazy.map { $0 == 0 ? "input_layer" : "input_layer_\($0)" }.first { !layerNames.contains($0) }!
        let input = entry("InputLayer", [
            "batch_shape": .array([.null, .number(Double(inputShape.height)), .number(Double(inputShape.width)),
                                   .number(Double(inputShape.channels))]),
            "dtype": .string("float32"), "sparse": .bool(false), "name": .string(inputName),
        ])
        var config: [String: JSONValue] = ["name": .string(name), "trainable": .bool(true)]
        if isChain && inferenceCalls.isEmpty {
            config["dtype"] = .string("float32")
            config["layers"] = .array([.object(input)] + layers.map { .object(entry($0.className, $0.config)) })
        } else {
            // Keras reads a call's tensors by their `keras_history` alone; their shapes only have to be valid.
            let shapes = (try? Model(description: self)).map { [inputShape] + $0.layers.map(\.outputShape) }
            let names = [inputName] + layers.map(\.name)
            func tensor(_ activation: Int) -> JSONValue {
                let shape = shapes?[activation], dimensions = shape.map { $0.isVector ? [$0.channels] : [$0.height, $0.width, $0.channels] } ?? []
                return .object(["class_name": .string("__keras_tensor__"), "config": .object([
                    "shape": .array([.null] + dimensions.map { .number(Double($0)) }), "dtype": .string("float32"),
                    "keras_history": .array([.string(names[activation]), .number(0), .number(0)]),
                ])])
            }
            var inputEntry = input
            inputEntry["name"] = .string(inputName)
            inputEntry["inbound_nodes"] = .array([])
            config["layers"] = .array([.object(inputEntry)] + zip(layers, inputs).enumerated().map { index, layerAndInputs in
                let (layer, taken) = layerAndInputs
                var layerEntry = entry(layer.className, layer.config)
                layerEntry["name"] = .string(layer.name)
                let arguments: JSONValue = taken.count == 1 ? tensor(taken[0]) : .array(taken.map(tensor))
                let keywords: [String: JSONValue] = inferenceCalls.contains(index) ? ["training": .bool(false)] : [:]
                layerEntry["inbound_nodes"] = .array([.object(["args": .array([arguments]), "kwargs": .object(keywords)])])
                return .object(layerEntry)
            })
            config["input_layers"] = .array([.string(inputName), .number(0), .number(0)])
            config["output_layers"] = .array([.string(layers.last!.name), .number(0), .number(0)])
        }
        // Keras writes a Functional model's module as that of its private class, and loads it by it.
        let root = JSONValue.object(config["input_layers"] == nil
            ? ["module": .string("keras"), "class_name": .string("Sequential"), "registered_name": .null, "config": .object(config)]
            : ["module": .string("keras.src.models.functional"), "class_name": .string("Functional"),
               "registered_name": .string("Functional"), "config": .object(config)])
        return root.description
    }
}

// MARK: The compact form

extension ModelDescription {
    /// The compact form checkpoints of format version 1 stored (`input(28,28,1) conv2d(64,3,same,relu)
    /// maxpool(2) flatten dense(10,softmax)`), as Keras configurations named as Keras names them.
    package init(compact text: String, name: String = "sequential") throws {
        var words = text.split(separator: " ").map(String.init)
        func fail(_ problem: String) -> ModelDefinitionError { ModelDefinitionError("model description '\(text)': \(problem)") }
        guard let first = words.first, first.hasPrefix("input("), first.hasSuffix(")") else {
            throw fail("must start with input(height,width,channels)")
        }
        words.removeFirst()
        let dimensions = first.dropFirst("input(".count).dropLast().split(separator: ",").compactMap { Int($0) }
        guard dimensions.count == 3, dimensions.allSatisfy({ (1...Self.largestInputExtent).contains($0) }) else {
            throw fail("bad input shape '\(first)'")
        }
        var counts: [String: Int] = [:]
        func layer(_ className: String, _ base: String, _ config: [String: JSONValue]) -> KerasLayerConfiguration {
            let index = counts[base, default: 0]
            counts[base] = index + 1
            let name = index == 0 ? base : "\(base)_\(index)"
            return KerasLayerConfiguration(className: className, name: name, config: config.merging(["name": .string(name)]) { $1 })
        }
        let layers = try words.map { word -> KerasLayerConfiguration in
            let (kind, arguments): (Substring, [Substring])
            if let open = word.firstIndex(of: "("), word.hasSuffix(")") {
                kind = word[..<open]
                arguments = word[word.index(after: open)..<word.index(before: word.endIndex)].split(separator: ",")
            } else {
                (kind, arguments) = (Substring(word), [])
            }
            func number(_ index: Int) throws -> JSONValue {
                guard index < arguments.count, let value = Int(arguments[index]), value > 0 else { throw fail("layer '\(word)'") }
                return .number(Double(value))
            }
            func text(_ index: Int) throws -> JSONValue {
                guard index < arguments.count else { throw fail("layer '\(word)'") }
                return .string(String(arguments[index]))
            }
            switch (kind, arguments.count) {
            case ("conv2d", 4):
                return layer("Conv2D", "conv2d", ["filters": try number(0), "kernel_size": .array([try number(1), try number(1)]),
                                                  "padding": try text(2), "activation": try text(3)])
            case ("maxpool", 1):
                return layer("MaxPooling2D", "max_pooling2d", ["pool_size": .array([try number(0), try number(0)])])
            case ("flatten", 0):
                return layer("Flatten", "flatten", [:])
            case ("dense", 2):
                return layer("Dense", "dense", ["units": try number(0), "activation": try text(1)])
            default:
                throw fail("unknown layer '\(word)'")
            }
        }
        self.init(name: name, inputShape: TensorShape(height: dimensions[0], width: dimensions[1], channels: dimensions[2]),
                  layers: layers)
    }
}

/// A model description Tandem cannot build, in one line.
package struct ModelDefinitionError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
