import CTandemKernels

/// Keras's element-wise merge layers, `Add`, `Subtract`, `Multiply`, `Average`, `Maximum` and `Minimum`:
/// one output element from the same element of each input, in call order. An input of shape
/// `(1, 1, C)` is broadcast over the positions of `(H, W, C)` inputs, as Keras does for
/// squeeze-and-excitation's `Multiply`; its gradient is summed over the positions in order.
///
/// `Maximum` and `Minimum` compare inputs left to right and keep the earlier one on a tie, so its
/// gradient goes to the earlier input, as TensorFlow's does.
package struct ElementwiseMerge: MergeLayer, KerasLayer {
    package enum Operation: String, Sendable, CaseIterable {
        case add = "Add", subtract = "Subtract", multiply = "Multiply", average = "Average"
        case maximum = "Maximum", minimum = "Minimum"
    }

    package let name: String
    package let operation: Operation
    package let inputShapes: [TensorShape]
    package let outputShape: TensorShape

    package var inputShape: TensorShape { inputShapes[0] }
    package var kind: String { operation.rawValue }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String, operation: Operation, inputShapes: [TensorShape]) throws {
        guard !inputShapes.isEmpty else { throw ModelDefinitionError("\(name): a merge layer needs at least one input") }
        if operation == .subtract && inputShapes.count != 2 {
            throw ModelDefinitionError("\(name): Subtract takes exactly 2 inputs, not \(inputShapes.count)")
        }
        let output = inputShapes.max { $0.count < $1.count }!
        for shape in inputShapes where shape != output && !(shape.isVector && shape.channels == output.channels) {
            throw ModelDefinitionError("\(name): inputs of shapes \(inputShapes.map(\.description).joined(separator: ", ")) cannot be merged (the same shape, or (1, 1, C) against (H, W, C))")
        }
        self.name = name
        self.operation = operation
        self.inputShapes = inputShapes
        outputShape = output
    }

    package static let kerasClassNames = Operation.allCases.map(\.rawValue)

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try self.init(name: configuration.name, operation: Operation(rawValue: configuration.className)!,
                      inputShapes: context.inputShapes.isEmpty ? [inputShape] : context.inputShapes)
    }

    /// Whether input `index` is broadcast over the output's positions.
    private func isBroadcast(_ index: Int) -> Bool { inputShapes[index].count != outputShape.count }

    /// Element `element` of sample `sample` of input `index`.
    @inline(__always)
    private func value(_ inputs: UnsafePointer<UnsafeMutablePointer<Float>>, _ index: Int, sample: Int, element: Int) -> Float {
        isBroadcast(index) ? inputs[index][sample * outputShape.channels + element % outputShape.channels]
                           : inputs[index][sample * outputShape.count + element]
    }

    /// Which input gives the output's element: the first of the largest (smallest) values.
    @inline(__always)
    private func winner(_ inputs: UnsafePointer<UnsafeMutablePointer<Float>>, sample: Int, element: Int) -> Int {
        var best = 0, bestValue = value(inputs, 0, sample: sample, element: element)
        for index in 1..<inputShapes.count {
            let candidate = value(inputs, index, sample: sample, element: element)
            if operation == .maximum ? candidate > bestValue : candidate < bestValue { (best, bestValue) = (index, candidate) }
        }
        return best
    }

    /// A residual `Add` of same-shaped inputs: whole-block vector adds, in the same order (the same bits).
    private var isPlainAdd: Bool { operation == .add && inputShapes.allSatisfy { $0 == outputShape } }

    package func forward(_ memory: LayerMemory) {
        let inputs = memory.inputs!, size = outputShape.count
        if isPlainAdd {
            memory.output.update(from: inputs[0], count: memory.count * size)
            for index in 1..<inputShapes.count { tandem_channels_sum(inputs[index], 1, memory.count * size, memory.output) }
            return
        }
        for sample in 0..<memory.count {
            let output = memory.output + sample * size
            for element in 0..<size {
                var result = value(inputs, 0, sample: sample, element: element)
                switch operation {
                case .add, .average:
                    for index in 1..<inputShapes.count { result += value(inputs, index, sample: sample, element: element) }
                    if operation == .average { result /= Float(inputShapes.count) }
                case .subtract:
                    result -= value(inputs, 1, sample: sample, element: element)
                case .multiply:
                    for index in 1..<inputShapes.count { result *= value(inputs, index, sample: sample, element: element) }
                case .maximum, .minimum:
                    result = value(inputs, winner(inputs, sample: sample, element: element), sample: sample, element: element)
                }
                output[element] = result
            }
        }
    }

    package func backward(_ memory: LayerMemory) {
        let inputs = memory.inputs!, size = outputShape.count, channels = outputShape.channels
        for (index, shape) in inputShapes.enumerated() {
            guard let gradient = memory.inputGradients![index] else { continue }
            if isPlainAdd {
                gradient.update(from: memory.outputGradient, count: memory.count * size)
                continue
            }
            gradient.update(repeating: 0, count: memory.count * shape.count)
            for sample in 0..<memory.count {
                let outputGradient = memory.outputGradient + sample * size
                let target = gradient + sample * shape.count
                for element in 0..<size {
                    let dy = outputGradient[element]
                    let contribution: Float = switch operation {
                    case .add: dy
                    case .average: dy / Float(inputShapes.count)
                    case .subtract: index == 0 ? dy : -dy
                    case .multiply:
                        inputShapes.indices.reduce(dy) { product, other in
                            other == index ? product : product * value(inputs, other, sample: sample, element: element)
                        }
                    case .maximum, .minimum: winner(inputs, sample: sample, element: element) == index ? dy : 0
                    }
                    target[isBroadcast(index) ? element % channels : element] += contribution
                }
            }
        }
    }
}
