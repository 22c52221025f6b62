/// A Keras Functional model's graph: its layers in an order where each comes after the layers it
/// reads, and which activations each one takes. Residual `Add`s, `Concatenate`s and tensors feeding
/// several layers are graphs like any other; nested models, shared layers (one layer called twice),
/// several inputs or outputs, cycles, dangling references and layers off the path from the input to the
/// output are refused in one line naming the layer.
///
/// Both ways Keras writes the graph are read: Keras 3's `inbound_nodes` of `{args, kwargs}` holding
/// `keras_history` triples, and Keras 2's (`tf.keras` ≤ 2.15) lists of `[layer, node, tensor, kwargs]`.
struct FunctionalGraph {
    /// The `InputLayer`'s entry.
    let input: JSONValue
    /// Every other layer's entry, each after those it reads; the model's output last.
    let layers: [JSONValue]
    /// For each of `layers`, the activations it takes in call order: 0 is the input, `i + 1` the output
    /// of `layers[i]`.
    let inputs: [[Int]]

    init(_ root: JSONValue, fail: (String) -> ModelDefinitionError) throws {
        guard let entries = root["config"]?["layers"]?.array else { throw fail("the Functional model has no config.layers list") }
        var names: [String] = []
        var indexOf: [String: Int] = [:]
        var inputsOf: [[String]] = []
        for (index, entry) in entries.enumerated() {
            guard let name = entry["name"]?.string ?? entry["config"]?["name"]?.string else {
                throw fail("layer \(index + 1) has no name")
            }
            guard indexOf[name] == nil else { throw fail("\(name): two layers have this name") }
            if let className = entry["class_name"]?.string, ["Sequential", "Functional", "Model"].contains(className) {
                throw fail("\(name): a nested model (\(className)) is not supported yet; flatten its layers into the model")
            }
            let nodes = entry["inbound_nodes"]?.array ?? []
            guard nodes.count <= 1 else {
                throw fail("\(name): the layer is called \(nodes.count) times (a shared layer); Tandem trains each layer once")
            }
            indexOf[name] = index
            names.append(name)
            inputsOf.append(nodes.first.map(Self.inboundLayers) ?? [])
        }
        for (name, inputs) in zip(names, inputsOf) {
            for input in inputs where indexOf[input] == nil {
                throw fail("\(name): its input '\(input)' is not a layer of the model")
            }
        }
        let declaredInputs = Self.endpoints(root["config"]?["input_layers"])
        let declaredOutputs = Self.endpoints(root["config"]?["output_layers"])
        guard declaredInputs.count == 1, let inputName = declaredInputs.first else {
            throw fail("the model has \(declaredInputs.count) inputs; Tandem trains models with one")
        }
        guard declaredOutputs.count == 1, let outputName = declaredOutputs.first else {
            throw fail("the model has \(declaredOutputs.count) outputs; Tandem trains models with one")
        }
        guard let inputIndex = indexOf[inputName], entries[inputIndex]["class_name"]?.string == "InputLayer" else {
            throw fail("\(inputName): the model's input is not an InputLayer")
        }
        guard let outputIndex = indexOf[outputName] else { throw fail("\(outputName): the model's output is not a layer of the model") }
        if let other = entries.indices.first(where: { $0 != inputIndex && entries[$0]["class_name"]?.string == "InputLayer" }) {
            throw fail("\(names[other]): a second InputLayer; Tandem trains models with one input")
        }

        // Topological order, each layer as early in the file's order as its inputs allow: the file's own
        // order whenever it is already one (Keras writes it so).
        var position: [Int: Int] = [inputIndex: 0]   // entry index → activation
        var ordered: [Int] = []
        var remaining = entries.indices.filter { $0 != inputIndex }
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
            for input in inputsOf[index] where needed.insert(indexOf[input]!).inserted { pending.append(indexOf[input]!) }
        }
        if let stray = entries.indices.first(where: { !needed.contains($0) }) {
            throw fail("\(names[stray]): not on the path from the model's input to its output")
        }

        input = entries[inputIndex]
        layers = ordered.map { entries[$0] }
        inputs = ordered.map { index in inputsOf[index].map { position[indexOf[$0]!]! } }
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
