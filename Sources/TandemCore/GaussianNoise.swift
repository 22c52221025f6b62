/// Keras's `GaussianNoise` and `GaussianDropout`, regularisers that act in training only: noise
/// `stddev · N(0, 1)` added to every element, or every element multiplied by `N(1, rate / (1 − rate))`
/// (the Gaussian counterpart of Dropout's scaled mask). In inference, the identity.
///
/// Each sample's draws come from `(seed, epoch, sample index, layer position)`, as Dropout's, so they
/// do not depend on the rank or thread that computes the sample. They are not TensorFlow's draws (the
/// same distribution, other values), and the `seed` in a Keras configuration is not used.
package struct GaussianNoise: KerasLayer {
    package enum Noise: Sendable, Equatable {
        case additive(standardDeviation: Float)
        case multiplicative(standardDeviation: Float)
    }

    package let name: String
    package let inputShape: TensorShape
    package let noise: Noise
    /// The layer's position in the model.
    package let position: Int

    package var outputShape: TensorShape { inputShape }
    package var kind: String { if case .additive = noise { "GaussianNoise" } else { "GaussianDropout" } }
    package var summaryDetail: String {
        switch noise {
        case let .additive(deviation): "stddev \(deviation)"
        case let .multiplicative(deviation): "stddev \(deviation) of the factor"
        }
    }
    package var parameterBlocks: [ParameterBlock] { [] }
    /// The multiplicative factors of the last forward pass, for backward.
    package func savedCount(samples: Int) -> Int {
        if case .multiplicative = noise { samples * inputShape.count } else { 0 }
    }

    package static let kerasClassNames = ["GaussianNoise", "GaussianDropout"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        name = configuration.name
        self.inputShape = inputShape
        position = context.index
        let key = configuration.className == "GaussianNoise" ? "stddev" : "rate"
        guard configuration.config[key].map({ $0 != .null }) ?? false else { throw configuration.error("\(key) is missing") }
        if configuration.className == "GaussianNoise" {
            noise = .additive(standardDeviation: Float(try configuration.number("stddev", default: 0, in: 0...1e6)))
        } else {
            let rate = try configuration.number("rate", default: 0, in: 0...0.999_999)
            noise = .multiplicative(standardDeviation: Float((rate / (1 - rate)).squareRoot()))
        }
    }

    package func forward(_ memory: LayerMemory) {
        let count = inputShape.count
        guard memory.samples.training else {
            memory.output.update(from: memory.input, count: memory.count * count)
            if case .multiplicative = noise { memory.saved.update(repeating: 1, count: memory.count * count) }
            return
        }
        for sample in 0..<memory.count {
            var generator = memory.samples.stream(sample: sample, layer: position)
            let offset = sample * count
            for index in offset..<offset + count {
                let draw = Float(Initializer.standardNormal(&generator, truncated: false))
                switch noise {
                case let .additive(deviation):
                    memory.output[index] = memory.input[index] + deviation * draw
                case let .multiplicative(deviation):
                    memory.saved[index] = 1 + deviation * draw
                    memory.output[index] = memory.input[index] * memory.saved[index]
                }
            }
        }
    }

    package func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        let count = memory.count * inputShape.count
        switch noise {
        case .additive: inputGradient.update(from: memory.outputGradient, count: count)
        case .multiplicative: for index in 0..<count { inputGradient[index] = memory.outputGradient[index] * memory.saved[index] }
        }
    }
}
