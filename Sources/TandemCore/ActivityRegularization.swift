/// Keras's `ActivityRegularization`: the identity, whose input adds `l1·Σ|x| + l2·Σx²` to the loss.
///
/// Keras 3 divides an activity regulariser's term by the batch's size and adds it to the loss in
/// `fit` and in `evaluate` alike. Here the term of each sample is added to the sample's loss, so the
/// batch's mean loss carries exactly that, and the gradient `l1·sign(x) + 2·l2·x` is scaled as the
/// loss's own (`LayerMemory.lossScale`); `sign(0)` is 0, as TensorFlow's gradient of `abs` at 0.
package struct ActivityRegularization: KerasLayer, LossTermLayer {
    package let name: String
    package let inputShape: TensorShape
    package let l1: Float
    package let l2: Float

    package var outputShape: TensorShape { inputShape }
    package var kind: String { "ActivityRegularization" }
    package var summaryDetail: String { "l1 \(l1), l2 \(l2)" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package static let kerasClassNames = ["ActivityRegularization"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        name = configuration.name
        self.inputShape = inputShape
        l1 = Float(try configuration.number("l1", default: 0, in: 0...1e6))
        l2 = Float(try configuration.number("l2", default: 0, in: 0...1e6))
    }

    package func forward(_ memory: LayerMemory) {
        memory.output.update(from: memory.input, count: memory.count * inputShape.count)
    }

    /// Summed in doubles, so that a block's term loses nothing to the order of its thousands of addends.
    package func lossTerm(input: UnsafePointer<Float>, count: Int) -> Float {
        var absolute = 0.0, squares = 0.0
        for index in 0..<count * inputShape.count {
            let value = Double(input[index])
            absolute += abs(value)
            squares += value * value
        }
        return Float(Double(l1) * absolute + Double(l2) * squares)
    }

    package func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        let l1 = memory.lossScale * l1, l2 = memory.lossScale * 2 * l2
        for index in 0..<memory.count * inputShape.count {
            let value = memory.input[index]
            let sign: Float = value > 0 ? 1 : value < 0 ? -1 : 0
            inputGradient[index] = memory.outputGradient[index] + (l1 * sign + l2 * value)
        }
    }
}
