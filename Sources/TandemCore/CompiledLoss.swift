/// The loss a Keras model was compiled with, as `compile_config` records it: a name
/// (`"sparse_categorical_crossentropy"`) or a serialised loss object with its `from_logits` and
/// `label_smoothing`. Tandem trains every model with softmax cross-entropy on its logits, with the
/// loss's label smoothing as the recipe's default (`CompiledRecipe`); what else the file says is compared
/// with what Tandem does, and every difference is said at start-up.
package struct CompiledLoss: Sendable, Equatable {
    /// Keras's class name (`SparseCategoricalCrossentropy`) or the name it was compiled with.
    package let name: String
    package let fromLogits: Bool
    package let labelSmoothing: Double

    package static let crossEntropyNames: Set<String> = ["SparseCategoricalCrossentropy", "CategoricalCrossentropy",
                                                        "sparse_categorical_crossentropy", "categorical_crossentropy"]
    package static let binaryCrossEntropyNames: Set<String> = ["BinaryCrossentropy", "binary_crossentropy"]

    /// A loss Tandem trains as the file says (with its label smoothing) for a model with `output`.
    package func matches(_ output: ModelOutput) -> Bool {
        (output.isBinary ? Self.binaryCrossEntropyNames : Self.crossEntropyNames).contains(name)
    }

    package init(name: String, fromLogits: Bool = false, labelSmoothing: Double = 0) {
        self.name = name
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
    }

    /// Keras 3 and Keras 2 write a loss object as `{class_name, config: {from_logits, ...}}`; a loss
    /// given by name keeps Keras's defaults. Several losses (a list or a dict, one per output) are not one.
    init?(keras value: JSONValue) {
        if let name = value.string {
            self.init(name: name)
        } else if let name = value["class_name"]?.string {
            let config = value["config"]
            self.init(name: name, fromLogits: config?["from_logits"]?.bool ?? false,
                      labelSmoothing: config?["label_smoothing"]?.number ?? 0)
        } else {
            return nil
        }
    }

    /// What start-up says where the file's loss and Tandem's training differ, one line each.
    package func differences(output: ModelOutput, lastLayer: String) -> [String] {
        guard matches(output) else {
            return ["the model was compiled with loss '\(name)'; Tandem trains it with \(output.isBinary ? "binary" : "softmax") cross-entropy"]
        }
        var lines: [String] = []
        let squashing = output.isBinary ? "sigmoid" : "softmax"
        if (output == .logits || output == .logit) && !fromLogits {
            lines.append("the model was compiled with from_logits=False, but its last layer (\(lastLayer)) has no \(squashing): Tandem trains its outputs as logits, as from_logits=True would")
        }
        if (output == .probabilities || output == .probability) && fromLogits {
            lines.append("the model was compiled with from_logits=True on a \(squashing) output (\(lastLayer)), which Keras would pass through a second \(squashing): Tandem trains the \(squashing)'s input as the logits")
        }
        return lines
    }
}
