/// A Keras Functional model's graph: its layers in an order where each comes after the layers it
/// reads, and which activations each one takes. Residual `Add`s, `Concatenate`s and tensors feeding
/// several layers are graphs like any other; nested models, shared layers (one layer called twice),
/// several inputs or outputs, cycles, dangling references and layers off the path from the input to the
/// output are refused in one line naming the layer.
///
/// Both ways Keras writes the graph are read: Keras 3's `inbound_nodes` of `{args, kwargs}` holding
/// `keras_history` triples, and Keras 2's (`tf.keras` ≤ 2.15) lists of `[layer, node, tensor, kwargs]`.
/// A Keras model's graph: its layers in an order where each comes after the layers it reads, and which
/// activations each one takes. A Sequential model is the chain case. Residual `Add`s, `Concatenate`s and
/// tensors feeding several layers are graphs like any other. Nested models (a `Sequential` augmentation
/// block, a `keras.applications` base under a new head) are spliced into the graph: their layers become
/// the model's, `"trainable": false` on the nested model freezes each of them, and a call with
/// `training=False` runs each of them in inference mode. Shared layers (one layer called twice), several
/// inputs or outputs, cycles, dangling references and layers off the path from the input to the output
/// are refused in one line naming the layer.
///
/// Both ways Keras writes the graph are read: Keras 3's `inbound_nodes` of `{args, kwargs}` holding
/// `keras_history` triples, and Keras 2's (`tf.keras` ≤ 2.15) lists of `[layer, node, tensor, kwargs]`.
struct FunctionalGraph {
    /// The `InputLayer`'s entry; nil for a Sequential model that declares its input on its first layer.
    let input: JSONValue?
    /// Every other layer's entry, each after those it reads; the model's output last.
    let layers: [JSONValue]
    /// For each of `layers`, the activations it takes in call order: 0 is the input, `i + 1` the output
    /// of `layers[i]`.
    let inputs: [[Int]]
    /// The layers called with `training=False` (by index into `layers`).
    let inferenceCalls: Set<Int>

    /// One call of a layer, after nested models are spliced in.
    private struct Call {
        let name: String
        var entry: JSONValue
        var inputs: [String]
        var inference: Bool
    }

    /// A model's calls (its nested models' layers in their place), its input layer and its output.
    private struct Calls {
        var input: (name: String, entry: JSONValue?)
        var calls: [Call]
        var output: String
    }

    static let modelClassNames: Set = ["Sequential", "Functional", "Model"]

    init(_ root: JSONValue, fail: (String) -> ModelDefinitionError) throws {
        let model = try Self.calls(of: root, fail: fail)
        var names: [String] = []
        var indexOf: [String: Int] = [model.input.name: -1]
        var inputsOf: [[String]] = []
        for call in model.calls {
            guard indexOf[call.name] == nil else { throw fail("\(call.name): two layers have this name") }
            indexOf[call.name] = names.count
            names.append(call.name)
            inputsOf.append(call.inputs)
        }
        for (name, inputs) in zip(names, inputsOf) {
            for input in inputs where indexOf[input] == nil {
                throw fail("\(name): its input '\(input)' is not a layer of the model")
            }
        }
        guard let outputIndex = indexOf[model.output], outputIndex >= 0 else {
            throw fail("\(model.output): the model's output is not a layer of the model")
        }
        let entries = model.calls.map(\.entry)

        // Topological order, each layer as early in the file's order as its inputs allow: the file's own
        // order whenever it is already one (Keras writes it so).
        var position: [Int: Int] = [-1: 0]   // call index (-1 the input) → activation
        var ordered: [Int] = []
        var remaining = Array(entries.indices)
        while !remaining.isEmpty {
            guard let next = remaining.firstIndex(where: { inputsOf[$0].allSatisfy { position[indexOf[$0]!] != nil } }) else {
                throw fail("\(names[remaining[0]]): its inputs form a cycle")
            }
            let index = remaining.remove(at: next)
            guard !inputsOf[index].isEmpty else { throw fail("\(names[index]): the layer has no input") }
            ordered.append(index)
            position[index] = ordered.count
        }

        // Every layer must lead to the output: walk back from it.
        var needed = Set([outputIndex])
        var pending = [outputIndex]
        while let index = pending.popLast() {
            for input in inputsOf[index] where indexOf[input]! >= 0 && needed.insert(indexOf[input]!).inserted {
                pending.append(indexOf[input]!)
            }
        }
        if let stray = entries.indices.first(where: { !needed.contains($0) }) {
            throw fail("\(names[stray]): not on the path from the model's input to its output")
        }

        input = model.input.entry
        layers = ordered.map { entries[$0] }
        inputs = ordered.map { index in inputsOf[index].map { position[indexOf[$0]!]! } }
        inferenceCalls = Set(ordered.indices.filter { model.calls[ordered[$0]].inference })
    }

    /// The calls of a Sequential or Functional model, nested models spliced in.
    private static func calls(of model: JSONValue, fail: (String) -> ModelDefinitionError) throws -> Calls {
        let className = model["class_name"]?.string ?? ""
        guard let entries = model["config"]?["layers"]?.array else { throw fail("the \(className) model has no config.layers list") }
        var result: Calls
        if className == "Sequential" {
            // A chain: each layer takes the one before it.
            let first = entries.first.flatMap { $0["class_name"]?.string == "InputLayer" ? $0 : nil }
            let inputName = first.flatMap { $0["config"]?["name"]?.string } ?? "input_layer"
            result = Calls(input: (inputName, first), calls: [], output: inputName)
            for (index, entry) in entries.enumerated() where !(index == 0 && first != nil) {
                let name = entry["config"]?["name"]?.string ?? entry["name"]?.string ?? "layer_\(index + 1)"
                if entry["class_name"]?.string == "InputLayer" { throw fail("\(name): an InputLayer after the first layer is not supported") }
                result.calls.append(Call(name: name, entry: entry, inputs: [result.output], inference: false))
                result.output = name
            }
            guard !result.calls.isEmpty else { throw fail("the model has no layers") }
        } else {
            var calls: [Call] = []
            for (index, entry) in entries.enumerated() {
                guard let name = entry["name"]?.string ?? entry["config"]?["name"]?.string else { throw fail("layer \(index + 1) has no name") }
                let nodes = entry["inbound_nodes"]?.array ?? []
                guard nodes.count <= 1 else {
                    throw fail("\(name): the layer is called \(nodes.count) times (a shared layer); Tandem trains each layer once")
                }
                let inference = nodes.first.map(Self.isInferenceCall) ?? false
                calls.append(Call(name: name, entry: entry, inputs: nodes.first.map(Self.inboundLayers) ?? [], inference: inference))
            }
            let declaredInputs = endpoints(model["config"]?["input_layers"]), declaredOutputs = endpoints(model["config"]?["output_layers"])
            guard declaredInputs.count == 1, let inputName = declaredInputs.first else {
                throw fail("the model has \(declaredInputs.count) inputs; Tandem trains models with one")
            }
            guard declaredOutputs.count == 1, let outputName = declaredOutputs.first else {
                throw fail("the model has \(declaredOutputs.count) outputs; Tandem trains models with one")
            }
            guard let inputIndex = calls.firstIndex(where: { $0.name == inputName }), calls[inputIndex].entry["class_name"]?.string == "InputLayer" else {
                throw fail("\(inputName): the model's input is not an InputLayer")
            }
            let input = calls.remove(at: inputIndex)
            if let other = calls.first(where: { $0.entry["class_name"]?.string == "InputLayer" }) {
                throw fail("\(other.name): a second InputLayer; Tandem trains models with one input")
            }
            result = Calls(input: (inputName, input.entry), calls: calls, output: outputName)
        }
        return try splicingNestedModels(result, fail: fail)
    }

    /// Replaces each call of a nested model by the model's own calls: its input becomes the tensor it was
    /// called on, its name the name of its output.
    private static func splicingNestedModels(_ model: Calls, fail: (String) -> ModelDefinitionError) throws -> Calls {
        var result = Calls(input: model.input, calls: [], output: model.output)
        var outputOf: [String: String] = [:]   // nested model → its output layer
        for call in model.calls {
            guard let className = call.entry["class_name"]?.string, modelClassNames.contains(className) else {
                result.calls.append(call)
                continue
            }
            guard call.inputs.count == 1 else {
                throw fail("\(call.name): a nested model called on \(call.inputs.count) tensors; Tandem takes nested models with one input")
            }
            let nested = try calls(of: call.entry, fail: fail)
            let frozen = call.entry["config"]?["trainable"]?.bool == false
            for var inner in nested.calls {
                inner.inputs = inner.inputs.map { $0 == nested.input.name ? call.inputs[0] : $0 }
                inner.inference = inner.inference || call.inference
                if frozen { inner.entry = Self.frozen(inner.entry) }
                result.calls.append(inner)
            }
            outputOf[call.name] = nested.output == nested.input.name ? call.inputs[0] : nested.output
        }
        // A nested model's output may be another nested model's name; a name that leads back to itself
        // would never resolve.
        func resolved(_ name: String) throws -> String {
            var name = name, seen: Set<String> = []
            while let output = outputOf[name] {
                guard seen.insert(name).inserted else {
                    throw fail("\(name): a nested model whose output leads back to itself (a cycle of nested models' names)")
                }
                name = output
            }
            return name
        }
        for index in result.calls.indices { result.calls[index].inputs = try result.calls[index].inputs.map(resolved) }
        result.output = try resolved(result.output)
        return result
    }

    /// A layer's entry with `"trainable": false` in its config.
    private static func frozen(_ entry: JSONValue) -> JSONValue {
        guard case var .object(object) = entry, case var .object(config) = object["config"] ?? .null else { return entry }
        config["trainable"] = .bool(false)
        object["config"] = .object(config)
        return .object(object)
    }

    /// Whether a call passes `training=False` (Keras 3: in its kwargs; Keras 2: each input's kwargs).
    private static func isInferenceCall(_ node: JSONValue) -> Bool {
        if let kwargs = node["kwargs"] { return kwargs["training"]?.bool == false }
        return node.array?.contains { $0.array?.last?["training"]?.bool == false } ?? false
    }

    /// The layers whose outputs one call of a layer takes, in call order: Keras 3 names them in the
    /// `keras_history` of the tensors in its `args`, Keras 2 as the first element of each
    /// `[layer, node, tensor, kwargs]`.
    private static func inboundLayers(of node: JSONValue) -> [String] {
        if let args = node["args"] { return histories(in: args) }
        return node.array?.compactMap { $0.array?.first?.string } ?? []
    }

    private static func histories(in value: JSONValue) -> [String] {
        if value["class_name"]?.string == "__keras_tensor__" {
            return value["config"]?["keras_history"]?.array?.first?.string.map { [$0] } ?? []
        }
        return value.array?.flatMap(histories) ?? []
    }

    /// `input_layers`/`output_layers`: one `[name, node, tensor]` triple (Keras 3, one endpoint) or a
    /// list of them.
    private static func endpoints(_ value: JSONValue?) -> [String] {
        guard let items = value?.array else { return [] }
        if let name = items.first?.string { return [name] }
        return items.compactMap { $0.array?.first?.string }
    }
}
