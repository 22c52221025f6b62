/// Which layers run backward and where the gradient with respect to each activation is kept, planned
/// once per model.
///
/// A layer runs backward if it has weights that train or reads an activation that needs a gradient (one
/// computed by such a layer). An activation read by several layers gets the sum of their input
/// gradients in one fixed order, as llm.c's `residual_backward` does: the reader that runs backward
/// first (the last in the model's order) writes it, each later one writes a partial that is then added.
/// So the bits depend on the model alone. A gradient lives from the backward pass of its last reader to
/// that of the layer that computed it, and its buffer is reused once it is dead: a chain alternates
/// between two buffers, a residual block holds one more.
package struct GradientPlan: Sendable {
    /// Where a layer's backward pass writes the gradient with respect to one of its inputs.
    package enum Target: Sendable, Equatable {
        /// The input needs no gradient (nothing before it has weights).
        case none
        /// Straight into the activation's gradient buffer: the first of its readers to run backward.
        case buffer(Int)
        /// Into partial buffer `n`, added to the activation's gradient after the layer's backward pass.
        case partial(Int)
    }

    /// For each layer, whether it runs backward.
    package let runsBackward: [Bool]
    /// For each activation (0 the input, `i + 1` the output of layer `i`), the buffer its gradient is
    /// kept in; `nil` where none is needed.
    package let buffers: [Int?]
    /// Floats per sample of each buffer: the largest activation it holds.
    package let bufferSizes: [Int]
    /// For each layer and each of its inputs, where its backward pass writes the input's gradient.
    package let targets: [[Target]]
    /// The most partials one layer writes, and the floats per sample of each.
    package let partialCount: Int
    package let partialSize: Int

    /// - Parameter trainsWeights: for each layer, whether it has weights that train (not frozen).
    package init(trainsWeights: [Bool], inputs: [[Int]], shapes: [TensorShape]) {
        let count = trainsWeights.count
        var runs: [Bool] = []
        var needsGradient = [false]   // per activation; the model's input never needs one
        for index in 0..<count {
            let runsBackward = trainsWeights[index] || inputs[index].contains { needsGradient[$0] }
            runs.append(runsBackward)
            needsGradient.append(runsBackward)
        }
        var buffers = [Int?](repeating: nil, count: count + 1)
        var sizes: [Int] = []
        var free: [Int] = []
        func take(for activation: Int) -> Int {
            let buffer = free.popLast() ?? { sizes.append(0); return sizes.count - 1 }()
            sizes[buffer] = max(sizes[buffer], shapes[activation].count)
            buffers[activation] = buffer
            return buffer
        }
        _ = take(for: count)   // the loss's gradient with respect to the output
        var targets = [[Target]](repeating: [], count: count)
        var partialCount = 0, partialSize = 0
        for index in (0..<count).reversed() where runs[index] {
            var partials = 0
            targets[index] = inputs[index].map { activation in
                guard needsGradient[activation] else { return .none }
                guard buffers[activation] != nil else { return .buffer(take(for: activation)) }
                partials += 1
                partialSize = max(partialSize, shapes[activation].count)
                return .partial(partials - 1)
            }
            partialCount = max(partialCount, partials)
            guard let output = buffers[index + 1] else {
                preconditionFailure("layer \(index) runs backward but nothing reads its output")
            }
            free.append(output)   // dead once the layer that computed it has run backward
        }
        runsBackward = runs
        self.buffers = buffers
        bufferSizes = sizes
        self.targets = targets
        self.partialCount = partialCount
        self.partialSize = partialSize
    }

    /// Whether layer `index`'s backward pass computes the gradient with respect to any of its inputs.
    package func needsInputGradient(layer index: Int) -> Bool { targets[index].contains { $0 != .none } }
}
