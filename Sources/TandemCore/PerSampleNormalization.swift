import CTandemKernels

/// Normalisation over sets of one sample's values, the shared arithmetic of `LayerNormalization` (a
/// set: the channels of one position) and `GroupNormalization` (a set: one group of channels at every
/// position). Per sample, so it does not depend on the batch or the rank count.
///
/// Forward, per set of n values: `x̂ = (x − mean) / sqrt(variance + epsilon)` (biased variance), then
/// `y = gamma[c]·x̂ + beta[c]` per channel c. Backward, with `g = dy·gamma`:
/// `dx = (g − mean(g) − x̂·mean(g·x̂)) / sqrt(variance + epsilon)`, `dgamma[c] = Σ dy·x̂`, `dbeta[c] = Σ dy`.
struct NormalizationSets: Sendable {
    let shape: TensorShape
    /// Positions of each set: one position (layer norm) or all of them (group norm).
    let positionsPerSet: Int
    /// Channels of each set: all of them (layer norm) or one group's.
    let channelsPerSet: Int
    let epsilon: Float
    let scale: Bool
    let center: Bool
    /// Stand-ins for gamma and beta when the layer has none (`scale` or `center` false).
    private let ones: [Float]
    private let zeros: [Float]

    init(shape: TensorShape, positionsPerSet: Int, channelsPerSet: Int, epsilon: Float, scale: Bool, center: Bool) {
        self.shape = shape
        self.positionsPerSet = positionsPerSet
        self.channelsPerSet = channelsPerSet
        self.epsilon = epsilon
        self.scale = scale
        self.center = center
        ones = [Float](repeating: 1, count: shape.channels)
        zeros = [Float](repeating: 0, count: shape.channels)
    }

    var channels: Int { shape.channels }
    var positions: Int { shape.height * shape.width }
    var setCount: Int { (positions / positionsPerSet) * (channels / channelsPerSet) }

    /// x̂ of every sample for backward, then one reciprocal standard deviation per set and sample.
    func savedCount(samples: Int) -> Int { samples * (shape.count + setCount) }

    var parameterBlocks: [ParameterBlock] {
        (scale ? [ParameterBlock(name: "gamma", shape: [channels])] : [])
            + (center ? [ParameterBlock(name: "beta", shape: [channels])] : [])
    }

    func initialize(_ parameters: UnsafeMutablePointer<Float>) {
        if scale { parameters.update(repeating: 1, count: channels) }
        if center { (parameters + (scale ? channels : 0)).update(repeating: 0, count: channels) }
    }

    /// Calls `body(base, firstChannel)` for each position of `set`: the set's values there are the
    /// `channelsPerSet` floats from `base` on, channels `firstChannel...` of the HWC sample.
    @inline(__always)
    private func forEachRun(inSet set: Int, _ body: (_ base: Int, _ firstChannel: Int) -> Void) {
        let groups = channels / channelsPerSet
        let firstPosition = (set / groups) * positionsPerSet, firstChannel = (set % groups) * channelsPerSet
        for position in firstPosition..<firstPosition + positionsPerSet {
            body(position * channels + firstChannel, firstChannel)
        }
    }

    private var valuesPerSet: Float { Float(positionsPerSet * channelsPerSet) }

    /// Gamma and beta, or ones and zeros for those the layer does not have.
    @inline(__always)
    private func affine<Result>(_ parameters: UnsafePointer<Float>,
                                _ body: (_ gammas: UnsafePointer<Float>, _ betas: UnsafePointer<Float>) -> Result) -> Result {
        ones.withUnsafeBufferPointer { ones in
            zeros.withUnsafeBufferPointer { zeros in
                body(scale ? parameters : ones.baseAddress!, center ? parameters + (scale ? channels : 0) : zeros.baseAddress!)
            }
        }
    }

    func forward(_ memory: LayerMemory) {
        let width = channelsPerSet
        for sample in 0..<memory.count {
            let input = memory.input + sample * shape.count, normalized = memory.saved + sample * shape.count
            let reciprocals = memory.saved + memory.count * shape.count + sample * setCount
            for set in 0..<setCount {
                var sum: Float = 0
                forEachRun(inSet: set) { base, _ in
                    sum += Elementwise.sum(width) { index, lanes in Elementwise.load(input + base, index, width: lanes) }
                }
                let mean = sum / valuesPerSet
                var squares: Float = 0
                forEachRun(inSet: set) { base, _ in
                    squares += Elementwise.sum(width) { index, lanes in
                        let centered = Elementwise.load(input + base, index, width: lanes) - mean
                        return centered * centered
                    }
                }
                let reciprocal = 1 / (squares / valuesPerSet + epsilon).squareRoot()
                reciprocals[set] = reciprocal
                forEachRun(inSet: set) { base, _ in
                    Elementwise.forEachGroup(width) { index, lanes in
                        Elementwise.store((Elementwise.load(input + base, index, width: lanes) - mean) * reciprocal,
                                          normalized + base, index, width: lanes)
                    }
                }
            }
        }
        affine(memory.parameters) { gammas, betas in
            tandem_channels_multiply_add(memory.saved, gammas, betas, memory.count * positions, channels, memory.output)
        }
    }

    func backward(_ memory: LayerMemory) {
        let dy = UnsafePointer(memory.outputGradient)
        let gradient = memory.parameterGradient
        gradient.update(repeating: 0, count: (scale ? channels : 0) + (center ? channels : 0))
        if scale { tandem_channels_sum_products(dy, memory.saved, memory.count * positions, channels, gradient) }
        if center { tandem_channels_sum(dy, memory.count * positions, channels, gradient + (scale ? channels : 0)) }
        guard let inputGradients = memory.inputGradient else { return }
        let width = channelsPerSet
        affine(memory.parameters) { gammas, _ in
            for sample in 0..<memory.count {
                let normalized = UnsafePointer(memory.saved + sample * shape.count)
                let reciprocals = memory.saved + memory.count * shape.count + sample * setCount
                let dy = dy + sample * shape.count, inputGradient = inputGradients + sample * shape.count
                // g = dy·gamma, per value.
                @inline(__always) func g(_ base: Int, _ firstChannel: Int, _ index: Int, _ lanes: Int) -> SIMD16<Float> {
                    Elementwise.load(dy + base, index, width: lanes) * Elementwise.load(gammas + firstChannel, index, width: lanes)
                }
                for set in 0..<setCount {
                    var sum: Float = 0, projected: Float = 0
                    forEachRun(inSet: set) { base, firstChannel in
                        sum += Elementwise.sum(width) { index, lanes in g(base, firstChannel, index, lanes) }
                        projected += Elementwise.sum(width) { index, lanes in
                            g(base, firstChannel, index, lanes) * Elementwise.load(normalized + base, index, width: lanes)
                        }
                    }
                    let meanGradient = sum / valuesPerSet, meanProjected = projected / valuesPerSet, reciprocal = reciprocals[set]
                    forEachRun(inSet: set) { base, firstChannel in
                        Elementwise.forEachGroup(width) { index, lanes in
                            let value = g(base, firstChannel, index, lanes) - meanGradient
                                - Elementwise.load(normalized + base, index, width: lanes) * meanProjected
                            Elementwise.store(value * reciprocal, inputGradient + base, index, width: lanes)
                        }
                    }
                }
            }
        }
    }
}
