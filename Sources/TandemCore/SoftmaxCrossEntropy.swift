import Foundation

/// Softmax followed by categorical cross-entropy, fused: from logits `z` and label `y`,
/// `loss = log Σ exp(z) − z[y]` and `∂loss/∂z = softmax(z) − onehot(y)`, computed stably.
public enum SoftmaxCrossEntropy {
    /// Writes `scale · ∂loss/∂logits` into `gradient` and returns the loss (unscaled).
    ///
    /// `scale` is 1 / global batch size, so per-sample gradients summed over the batch give the
    /// gradient of the batch's mean loss, as Keras computes it.
    @discardableResult
    public static func lossAndGradient(logits: UnsafePointer<Float>, classes: Int, label: Int, scale: Float,
                                       gradient: UnsafeMutablePointer<Float>) -> Float {
        let maximum = (0..<classes).reduce(-Float.infinity) { max($0, logits[$1]) }
        var sum: Float = 0
        for index in 0..<classes {
            let exponential = Foundation.exp(logits[index] - maximum)
            gradient[index] = exponential
            sum += exponential
        }
        let inverseSum = 1 / sum
        for index in 0..<classes {
            let probability = gradient[index] * inverseSum
            gradient[index] = (probability - (index == label ? 1 : 0)) * scale
        }
        return Foundation.log(sum) + maximum - logits[label]
    }

    /// The loss alone, for evaluation.
    public static func loss(logits: UnsafePointer<Float>, classes: Int, label: Int) -> Float {
        let maximum = (0..<classes).reduce(-Float.infinity) { max($0, logits[$1]) }
        var sum: Float = 0
        for index in 0..<classes { sum += Foundation.exp(logits[index] - maximum) }
        return Foundation.log(sum) + maximum - logits[label]
    }

    /// The predicted class: the first index of the largest logit.
    public static func predictedClass(logits: UnsafePointer<Float>, classes: Int) -> Int {
        var best = 0
        for index in 1..<classes where logits[index] > logits[best] { best = index }
        return best
    }

    /// Class probabilities from logits.
    public static func probabilities(logits: UnsafePointer<Float>, classes: Int) -> [Float] {
        let maximum = (0..<classes).reduce(-Float.infinity) { max($0, logits[$1]) }
        let exponentials = (0..<classes).map { Foundation.exp(logits[$0] - maximum) }
        let sum = exponentials.reduce(0, +)
        return exponentials.map { $0 / sum }
    }
}
