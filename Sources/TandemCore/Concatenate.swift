/// Keras's `Concatenate`: the inputs side by side along one axis (channels by default, as DenseNet and
/// Inception join their branches; height or width for images), in call order.
package struct Concatenate: MergeLayer, KerasLayer {
    package enum Axis: String, Sendable { case height, width, channels }

    package let name: String
    package let axis: Axis
    package let inputShapes: [TensorShape]
    package let outputShape: TensorShape

    package var inputShape: TensorShape { inputShapes[0] }
    package var kind: String { "Concatenate" }
    package var summaryDetail: String { axis == .channels ? "" : "along \(axis.rawValue)" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "concatenate", axis: Axis = .channels, inputShapes: [TensorShape]) throws {
        guard !inputShapes.isEmpty else { throw ModelDefinitionError("\(name): a merge layer needs at least one input") }
        let first = inputShapes[0]
        func matches(_ shape: TensorShape) -> Bool {
            switch axis {
            case .channels: shape.height == first.height && shape.width == first.width
            case .width: shape.height == first.height && shape.channels == first.channels
            case .height: shape.width == first.width && shape.channels == first.channels
            }
        }
        guard inputShapes.allSatisfy(matches) else {
            throw ModelDefinitionError("\(name): inputs of shapes \(inputShapes.map(\.description).joined(separator: ", ")) cannot be joined along \(axis.rawValue) (the other axes must match)")
        }
        self.name = name
        self.axis = axis
        self.inputShapes = inputShapes
        let total = inputShapes.reduce(0) { $0 + $1.extent(axis) }
        outputShape = switch axis {
        case .channels: TensorShape(height: first.height, width: first.width, channels: total)
        case .width: TensorShape(height: first.height, width: total, channels: first.channels)
        case .height: TensorShape(height: total, width: first.width, channels: first.channels)
        }
    }

    package static let kerasClassNames = ["Concatenate"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        let shapes = context.inputShapes.isEmpty ? [inputShape] : context.inputShapes
        let axisNumber = try configuration.integer("axis", default: -1, in: -4...3)
        let axis: Axis? = if shapes.allSatisfy(\.isVector) {
            // A 1×1 image is a vector to TensorShape: its channels are axis 3, a vector's axis 1.
            [-1, 1, 3].contains(axisNumber) ? .channels : nil
        } else {
            [1: .height, -3: .height, 2: .width, -2: .width, 3: .channels, -1: .channels][axisNumber]
        }
        guard let axis else { throw configuration.error("axis \(axisNumber) is not supported (the batch axis, or beyond the inputs' rank)") }
        try self.init(name: configuration.name, axis: axis, inputShapes: shapes)
    }

    /// Rows of the copy: each input's part of one row is `extent · inner` floats.
    private var outer: Int {
        switch axis {
        case .channels: outputShape.height * outputShape.width
        case .width: outputShape.height
        case .height: 1
        }
    }

    private var inner: Int {
        switch axis {
        case .channels: 1
        case .width: outputShape.channels
        case .height: outputShape.width * outputShape.channels
        }
    }

    /// Calls `body(input, offset within an output row, floats per row)` for each input in order.
    private func forEachPart(_ body: (Int, Int, Int) -> Void) {
        var offset = 0
        for (index, shape) in inputShapes.enumerated() {
            let width = shape.extent(axis) * inner
            body(index, offset, width)
            offset += width
        }
    }

    package func forward(_ memory: LayerMemory) {
        let inputs = memory.inputs!, rowWidth = outputShape.extent(axis) * inner, rows = memory.count * outer
        forEachPart { index, offset, width in
            for row in 0..<rows {
                (memory.output + row * rowWidth + offset).update(from: inputs[index] + row * width, count: width)
            }
        }
    }

    package func backward(_ memory: LayerMemory) {
        let rowWidth = outputShape.extent(axis) * inner, rows = memory.count * outer
        forEachPart { index, offset, width in
            guard let gradient = memory.inputGradients![index] else { return }
            for row in 0..<rows {
                (gradient + row * width).update(from: memory.outputGradient + row * rowWidth + offset, count: width)
            }
        }
    }
}

extension TensorShape {
    /// The extent along a concatenation axis.
    func extent(_ axis: Concatenate.Axis) -> Int {
        switch axis {
        case .height: height
        case .width: width
        case .channels: channels
        }
    }
}
