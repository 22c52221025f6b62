import Foundation

/// Softmax followed by categorical cross-entropy, fused: from logits `z` and label `y`,
/// `loss = log Σ exp(z − max z) + max z − z[y]` and `∂loss/∂z = softmax(z) − onehot(y)`, computed
/// stably (shifted by the largest logit, so nothing overflows).
///
/// With Keras's `label_smoothing` `s` the target is `t = (1 − s) · onehot(y) + s / classes`: the loss
/// `log Σ exp(z − max z) + max z − Σ tᵢ zᵢ` and the gradient `softmax(z) − t`.
package enum SoftmaxCrossEntropy {
    /// Writes `scale · ∂loss/∂logits` into `gradient` and returns the loss (unscaled).
    ///
    /// `scale` is 1 / global batch size, so per-sample gradients summed over the batch give the
    /// gradient of the batch's mean loss, as Keras computes it.
    @discardableResult
    package static func lossAndGradient(logits: UnsafePointer<Float>, classes: Int, label: Int, scale: Float,
                                        labelSmoothing: Float = 0, gradient: UnsafeMutablePointer<Float>) -> Float {
        let (maximum, sum) = shiftedExponentials(logits: logits, classes: classes, into: gradient)
        let inverseSum = 1 / sum
        let other = labelSmoothing / Float(classes), target = 1 - labelSmoothing + other
        for index in 0..<classes {
            let probability = gradient[index] * inverseSum
            gradient[index] = (probability - (index == label ? target : other)) * scale
        }
        return Foundation.log(sum) + maximum - targetLogit(logits: logits, classes: classes, label: label, labelSmoothing: labelSmoothing)
    }

    /// `Σ tᵢ zᵢ`: the label's logit, or with smoothing the target-weighted sum.
    private static func targetLogit(logits: UnsafePointer<Float>, classes: Int, label: Int, labelSmoothing: Float) -> Float {
        guard labelSmoothing != 0 else { return logits[label] }
        var sum: Float = 0
        for index in 0..<classes { sum += logits[index] }
        return (1 - labelSmoothing) * logits[label] + labelSmoothing / Float(classes) * sum
    }

    /// For a block of `count` samples (`classes` logits each): writes every sample's `scale · ∂loss/∂logits`
    /// and returns the block's summed loss, added in sample order, and how many samples the logits
    /// classify correctly.
    package static func lossAndGradient(logits: UnsafePointer<Float>, count: Int, classes: Int, labels: (Int) -> Int,
                                        scale: Float, labelSmoothing: Float = 0,
                                        gradient: UnsafeMutablePointer<Float>) -> (lossSum: Float, correct: Int) {
        var lossSum: Float = 0, correct = 0
        for sample in 0..<count {
            let label = labels(sample), sampleLogits = logits + sample * classes
            if predictedClass(logits: sampleLogits, classes: classes) == label { correct += 1 }
            lossSum += lossAndGradient(logits: sampleLogits, classes: classes, label: label, scale: scale,
                                       labelSmoothing: labelSmoothing, gradient: gradient + sample * classes)
        }
        return (lossSum, correct)
    }

    /// The loss alone, for evaluation.
    package static func loss(logits: UnsafePointer<Float>, classes: Int, label: Int, labelSmoothing: Float = 0) -> Float {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: classes) { exponentials in
            let (maximum, sum) = shiftedExponentials(logits: logits, classes: classes, into: exponentials.baseAddress!)
            return Foundation.log(sum) + maximum - targetLogit(logits: logits, classes: classes, label: label, labelSmoothing: labelSmoothing)
        }
    }

    /// The softmax of the logits: the model's class probabilities.
    package static func probabilities(logits: UnsafePointer<Float>, classes: Int, into probabilities: UnsafeMutablePointer<Float>) {
        let (_, sum) = shiftedExponentials(logits: logits, classes: classes, into: probabilities)
        let inverseSum = 1 / sum
        for index in 0..<classes { probabilities[index] *= inverseSum }
    }

    /// The predicted class: the first index of the largest logit.
    package static func predictedClass(logits: UnsafePointer<Float>, classes: Int) -> Int {
        var best = 0
        for index in 1..<classes where logits[index] > logits[best] { best = index }
        return best
    }

    /// How many classes rank above `label`: those with a larger logit, and those before it with an
    /// equal one (as `predictedClass` breaks ties). 0 exactly when `label` is the predicted class; below
    /// k when it is among the top k.
    package static func rank(of label: Int, logits: UnsafePointer<Float>, classes: Int) -> Int {
        let value = logits[label]
        var above = 0
        for index in 0..<classes where logits[index] > value || (index < label && logits[index] == value) { above += 1 }
        return above
    }

    /// Writes `exp(z − max z)` and returns `max z` and the sum of the exponentials.
    private static func shiftedExponentials(logits: UnsafePointer<Float>, classes: Int,
                                            into exponentials: UnsafeMutablePointer<Float>) -> (maximum: Float, sum: Float) {
        var maximum = -Float.infinity
        for index in 0..<classes { maximum = max(maximum, logits[index]) }
        var sum: Float = 0
        for index in 0..<classes {
            exponentials[index] = Foundation.exp(logits[index] - maximum)
            sum += exponentials[index]
        }
        return (maximum, sum)
    }
}
