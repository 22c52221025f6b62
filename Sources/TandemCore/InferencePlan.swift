/// Which activations of a forward-only pass (evaluation, prediction) share memory, planned once per model.
///
/// Training keeps every activation until the backward pass has read it. A pass without backward needs
/// an activation only until its last reader has run: then its buffer can take a later layer's output,
/// as the gradients of `GradientPlan` reuse theirs. A layer's output never shares a buffer with any of
/// that layer's inputs (it is taken before they are given back), and the activations read after the
/// pass — the model's input, its output, the inputs of layers that add to the loss — keep their own.
package struct InferencePlan: Sendable {
    /// For each activation (0 the input, `i + 1` the output of layer `i`), its buffer.
    package let buffers: [Int]
    /// Floats per sample of each buffer: the largest activation it holds.
    package let bufferSizes: [Int]

    /// - Parameter kept: activations that must not share their buffer (read after the pass).
    package init(inputs: [[Int]], shapes: [TensorShape], kept: Set<Int>) {
        let count = inputs.count
        var lastReader = [Int](repeating: -1, count: count + 1)
        for (layer, activations) in inputs.enumerated() {
            for activation in activations { lastReader[activation] = max(lastReader[activation], layer) }
        }
        var buffers = [Int](repeating: 0, count: count + 1), sizes: [Int] = [], free: [Int] = []
        func take(for activation: Int) {
            // The smallest free buffer that holds it, else the largest (grown), else a new one.
            let needed = shapes[activation].count
            let fitting = free.indices.filter { sizes[free[$0]] >= needed }.min { sizes[free[$0]] < sizes[free[$1]] }
            let position = fitting ?? free.indices.max { sizes[free[$0]] < sizes[free[$1]] }
            let buffer = position.map { free.remove(at: $0) } ?? { sizes.append(0); return sizes.count - 1 }()
            sizes[buffer] = max(sizes[buffer], needed)
            buffers[activation] = buffer
        }
        func giveBack(_ activation: Int) {
            if !kept.contains(activation) { free.append(buffers[activation]) }
        }
        take(for: 0)
        if lastReader[0] < 0 { giveBack(0) }
        for layer in 0..<count {
            take(for: layer + 1)
            // Dead once this layer has read them (each once, however many of its inputs it is).
            for activation in Set(inputs[layer]) where lastReader[activation] == layer { giveBack(activation) }
            if lastReader[layer + 1] < 0 && layer + 1 != count { giveBack(layer + 1) }
        }
        self.buffers = buffers
        bufferSizes = sizes
    }
}
