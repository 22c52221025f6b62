/// Keras's `Reshape`: the same values in the same (channels-last) order, seen as another shape — a
/// vector of n, or an image (height, width, channels); one extent may be -1, inferred from the count.
package struct Reshape: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let outputShape: TensorShape

    package var kind: String { "Reshape" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "reshape", inputShape: TensorShape, outputShape: TensorShape) throws {
        guard outputShape.count == inputShape.count else {
            throw ModelDefinitionError("\(name): cannot reshape \(inputShape) (\(inputShape.count) values) to \(outputShape)")
        }
        self.name = name
        self.inputShape = inputShape
        self.outputShape = outputShape
    }

    package static let kerasClassNames = ["Reshape"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        guard let target = configuration.config["target_shape"]?.array, [1, 3].contains(target.count),
              target.allSatisfy({ $0.integer.map { $0 == -1 || (1...ModelDescription.largestInputExtent * 64).contains($0) } ?? false }),
              target.filter({ $0.integer == -1 }).count <= 1 else {
            throw configuration.error("target_shape \(configuration.config["target_shape"]?.displayText ?? "missing") is not supported (a vector (n,) or an image (height, width, channels), at most one -1)")
        }
        var extents = target.map { $0.integer! }
        if let unknown = extents.firstIndex(of: -1) {
            let known = extents.filter { $0 != -1 }.reduce(1, *)
            guard inputShape.count % known == 0 else {
                throw configuration.error("cannot reshape \(inputShape) (\(inputShape.count) values) to \(configuration.config["target_shape"]!.displayText)")
            }
            extents[unknown] = inputShape.count / known
        }
        let shape = extents.count == 1 ? TensorShape.vector(extents[0])
            : TensorShape(height: extents[0], width: extents[1], channels: extents[2])
        try self.init(name: configuration.name, inputShape: inputShape, outputShape: shape)
    }

    package func forward(_ memory: LayerMemory) {
        memory.output.update(from: memory.input, count: memory.count * inputShape.count)
    }

    package func backward(_ memory: LayerMemory) {
        memory.inputGradient?.update(from: memory.outputGradient, count: memory.count * inputShape.count)
    }
}
