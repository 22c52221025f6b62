/// Keras's `PReLU`: `x` above 0, `alpha · x` below, with `alpha` learned, one per element of a sample,
/// or shared along `shared_axes` (`[1, 2]`: one per channel, as image models use it).
///
/// Parameters: `alpha` with the input's per-sample shape, 1 along each shared axis (Keras's layout),
/// initialised to zeros (Keras's default). Its gradient `Σ x · dy` over the negative inputs is summed over
/// the block's samples and the shared positions in order.
package struct PReLU: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    /// The extent of `alpha` along height, width and channels: the input's, or 1 where shared.
    package let alphaShape: TensorShape
    package let alphaInitializer: Initializer

    package var outputShape: TensorShape { inputShape }
    package var kind: String { "PReLU" }
    package var summaryDetail: String { alphaShape == inputShape ? "" : "shared axes" }
    package var parameterBlocks: [ParameterBlock] {
        [ParameterBlock(name: "alpha", shape: inputShape.isVector ? [alphaShape.channels] : [alphaShape.height, alphaShape.width, alphaShape.channels])]
    }

    package static let kerasClassNames = ["PReLU"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        for key in ["alpha_regularizer", "alpha_constraint"] { try configuration.require(key, isOneOf: []) }
        let rank = inputShape.isVector ? 1 : 3
        var extents = inputShape.isVector ? [inputShape.channels] : [inputShape.height, inputShape.width, inputShape.channels]
        if let shared = configuration.config["shared_axes"], shared != .null {
            for axis in shared.array ?? [shared] {
                guard let axis = axis.integer, (1...rank).contains(axis) else {
                    throw configuration.error("shared_axes \(shared.displayText) must name axes 1…\(rank) of the input")
                }
                extents[axis - 1] = 1
            }
        }
        name = configuration.name
        self.inputShape = inputShape
        alphaShape = inputShape.isVector ? .vector(extents[0]) : TensorShape(height: extents[0], width: extents[1], channels: extents[2])
        alphaInitializer = try configuration.initializer("alpha_initializer", default: .zeros)
    }

    package func initialize(parameters: UnsafeMutableBufferPointer<Float>, generator: inout RandomGenerator) {
        alphaInitializer.fill(parameters.baseAddress!, count: alphaShape.count, fanIn: alphaShape.count, fanOut: alphaShape.count,
                              generator: &generator)
    }

    /// Calls `body(element, alpha index)` for every element of one sample, in order.
    @inline(__always)
    private func forEachElement(_ body: (Int, Int) -> Void) {
        let shape = inputShape, alpha = alphaShape
        var element = 0
        for y in 0..<shape.height {
            for x in 0..<shape.width {
                let row = ((alpha.height == 1 ? 0 : y) * alpha.width + (alpha.width == 1 ? 0 : x)) * alpha.channels
                for channel in 0..<shape.channels {
                    body(element, row + (alpha.channels == 1 ? 0 : channel))
                    element += 1
                }
            }
        }
    }

    package func forward(_ memory: LayerMemory) {
        let alpha = memory.parameters
        for sample in 0..<memory.count {
            let input = memory.input + sample * inputShape.count, output = memory.output + sample * inputShape.count
            forEachElement { element, slot in
                let value = input[element]
                output[element] = value > 0 ? value : alpha[slot] * value
            }
        }
    }

    /// `dx = dy` above 0, `alpha · dy` below (0 at 0, as TensorFlow's two ReLUs give); `dalpha = x · dy` below.
    package func backward(_ memory: LayerMemory) {
        let alpha = memory.parameters, alphaGradient = memory.parameterGradient
        alphaGradient.update(repeating: 0, count: alphaShape.count)
        for sample in 0..<memory.count {
            let input = memory.input + sample * inputShape.count, gradient = memory.outputGradient + sample * inputShape.count
            let inputGradient = memory.inputGradient.map { $0 + sample * inputShape.count }
            forEachElement { element, slot in
                let value = input[element]
                if value < 0 { alphaGradient[slot] += value * gradient[element] }
                inputGradient?[element] = value > 0 ? gradient[element] : value < 0 ? alpha[slot] * gradient[element] : 0
            }
        }
    }
}
