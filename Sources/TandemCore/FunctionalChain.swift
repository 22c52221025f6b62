/// A Keras Functional model whose layers form one chain — each layer called once, on the output of the
/// one before it, from the input to the output (`keras.applications.VGG16`, many hand-written models) —
/// read as the Sequential model it is equivalent to. Graphs with branches (a residual `Add`, a
/// `Concatenate`, a tensor feeding two layers), shared layers, nested models and several inputs or
/// outputs are refused in one line naming the layer.
///
/// Both ways Keras writes the graph are read: Keras 3's `inbound_nodes` of `{args, kwargs}` holding
/// `keras_history` triples, and Keras 2's (`tf.keras` ≤ 2.15) lists of `[layer, node, tensor, kwargs]`.
enum FunctionalChain {
    /// The layer entries in chain order, the `InputLayer` first.
    static func entries(of root: JSONValue, fail: (String) -> ModelDefinitionError) throws -> [JSONValue] {
        guard let entries = root["config"]?["layers"]?.array else { throw fail("the Functional model has no config.layers list") }
        var byName: [String: JSONValue] = [:]
        var order: [String] = []
        var inputsOf: [String: [String]] = [:]
        for (index, entry) in entries.enumerated() {
            guard let name = entry["name"]?.string ?? entry["config"]?["name"]?.string else {
                throw fail("layer \(index + 1) has no name")
            }
            guard byName[name] == nil else { throw fail("\(name): two layers have this name") }
            if let className = entry["class_name"]?.string, ["Sequential", "Functional", "Model"].contains(className) {
                throw fail("\(name): a nested model (\(className)) is not supported yet; Tandem trains one Sequential chain of layers")
            }
            let nodes = entry["inbound_nodes"]?.array ?? []
            guard nodes.count <= 1 else {
                throw fail("\(name): the layer is called \(nodes.count) times (a shared layer); Tandem trains each layer once")
            }
            byName[name] = entry
            order.append(name)
            inputsOf[name] = nodes.first.map(inboundLayers) ?? []
        }
        for name in order {
            for input in inputsOf[name]! where byName[input] == nil {
                throw fail("\(name): its input '\(input)' is not a layer of the model")
            }
            if inputsOf[name]!.count > 1 {
                throw fail("\(name): takes \(inputsOf[name]!.count) inputs (\(inputsOf[name]!.joined(separator: ", "))): graph models with branches (residual, concatenation) are not supported yet")
            }
        }
        var consumers: [String: [String]] = [:]
        for name in order {
            for input in inputsOf[name]! { consumers[input, default: []].append(name) }
        }
        if let branching = order.first(where: { (consumers[$0]?.count ?? 0) > 1 }) {
            throw fail("\(branching): feeds \(consumers[branching]!.count) layers (\(consumers[branching]!.joined(separator: ", "))): graph models with branches (residual, concatenation) are not supported yet")
        }
        let inputs = endpoints(root["config"]?["input_layers"]), outputs = endpoints(root["config"]?["output_layers"])
        guard inputs.count == 1, let input = inputs.first else {
            throw fail("the model has \(inputs.count) inputs; Tandem trains models with one")
        }
        guard outputs.count == 1, let output = outputs.first else {
            throw fail("the model has \(outputs.count) outputs; Tandem trains models with one")
        }
        guard byName[input]?["class_name"]?.string == "InputLayer" else {
            throw fail("\(input): the model's input is not an InputLayer")
        }
        var chain = [input]
        while let next = consumers[chain.last!]?.first { chain.append(next) }
        guard chain.last == output else {
            throw fail("\(output): the model's output is not at the end of the chain of layers from \(input)")
        }
        if let unreached = order.first(where: { !chain.contains($0) }) {
            throw fail("\(unreached): not on the path from the model's input to its output")
        }
        return chain.map { byName[$0]! }
    }

    /// The layers whose outputs one call of a layer takes: Keras 3 names them in the `keras_history`
    /// of the tensors in its `args`, Keras 2 as the first element of each `[layer, node, tensor, kwargs]`.
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
