import TandemCore

/// A model's weights as Keras names them, in `model.get_weights()` order: the one map between Tandem's
/// flat parameter buffer and every file format that other tools read (Keras's `.weights.h5`,
/// safetensors, ONNX initialisers).
package struct KerasWeightNames: Sendable {
    package struct Tensor: Sendable, Equatable {
        /// The layer's name in the model description (`conv2d_1`).
        package let layer: String
        /// Where Keras's saving code puts the layer: its class in snake case, numbered per class in
        /// model order (`conv2d`, `conv2d_1`, `batch_normalization`, …), whatever the layer's name.
        package let storePath: String
        /// The variable's name (`kernel`, `bias`, `gamma`, `beta`, `moving_mean`, `moving_variance`).
        package let variable: String
        /// Its position among the layer's variables (the dataset name in `.weights.h5`).
        package let position: Int
        package let shape: [Int]
        /// Where it starts in the flat parameter buffer.
        package let offset: Int
        package var count: Int { shape.reduce(1, *) }
        /// `layer/variable`, the name in safetensors and ONNX files.
        package var name: String { "\(layer)/\(variable)" }
    }

    /// Every layer in model order: its store path and its tensors (none for layers without weights).
    package let layers: [(storePath: String, layer: String, tensors: [Tensor])]
    package var tensors: [Tensor] { layers.flatMap(\.tensors) }

    package init(model: Model) {
        var used: [String: Int] = [:]
        var layers: [(storePath: String, layer: String, tensors: [Tensor])] = []
        for (index, layer) in model.layers.enumerated() {
            let base = Self.snakeCase(model.description.layers[index].className)
            let path: String
            if let count = used[base] { used[base] = count + 1; path = "\(base)_\(count + 1)" } else { used[base] = 0; path = base }
            var offset = model.parameterOffsets[index]
            var tensors: [Tensor] = []
            for (position, block) in layer.parameterBlocks.enumerated() {
                tensors.append(Tensor(layer: layer.name, storePath: path, variable: block.name, position: position,
                                      shape: block.shape, offset: offset))
                offset += block.count
            }
            layers.append((storePath: path, layer: layer.name, tensors: tensors))
        }
        self.layers = layers
    }

    /// Keras's `to_snake_case`: `Conv2D` → `conv2d`, `BatchNormalization` → `batch_normalization`,
    /// `ReLU` → `re_lu`, `GlobalAveragePooling2D` → `global_average_pooling2d`.
    static func snakeCase(_ name: String) -> String {
        let characters = Array(name)
        // First pass: an underscore before each capital followed by lower-case letters (not at the start).
        var first: [Character] = []
        for (index, character) in characters.enumerated() {
            if index > 0, character.isUppercase, index + 1 < characters.count, characters[index + 1].isLowercase {
                first.append("_")
            }
            first.append(character)
        }
        // Second pass: an underscore between a lower-case letter and a capital.
        var second: [Character] = []
        for (index, character) in first.enumerated() {
            if index > 0, character.isUppercase, first[index - 1].isLowercase { second.append("_") }
            second.append(character)
        }
        return String(second.filter { $0.isLetter || $0.isNumber || $0 == "_" }).lowercased()
    }
}
