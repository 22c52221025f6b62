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

    var channels: Int { shape.channels }
    var positions: Int { shape.height * shape.width }
    var setCount: Int { (positions / positionsPerSet) * (channels / channelsPerSet) }

    /// x̂ for backward, then one reciprocal standard deviation per set.
    var savedCount: Int { shape.count + setCount }

    var parameterBlocks: [ParameterBlock] {
        (scale ? [ParameterBlock(name: "gamma", shape: [channels])] : [])
            + (center ? [ParameterBlock(name: "beta", shape: [channels])] : [])
    }

    func initialize(_ parameters: UnsafeMutablePointer<Float>) {
        if scale { parameters.update(repeating: 1, count: channels) }
        if center { (parameters + (scale ? channels : 0)).update(repeating: 0, count: channels) }
    }

    /// Calls `body(set, offset)` for every value of every set, `offset` into the HWC sample.
    @inline(__always)
    private func forEachValue(inSet set: Int, _ body: (Int) -> Void) {
        let groups = channels / channelsPerSet
        let firstPosition = (set / groups) * positionsPerSet, firstChannel = (set % groups) * channelsPerSet
        for position in firstPosition..<firstPosition + positionsPerSet {
            let base = position * channels + firstChannel
            for channel in 0..<channelsPerSet { body(base + channel) }
        }
    }

    private var valuesPerSet: Float { Float(positionsPerSet * channelsPerSet) }

    func forward(_ memory: LayerMemory) {
        let normalized = memory.saved, reciprocals = memory.saved + shape.count
        for set in 0..<setCount {
            var sum: Float = 0
            forEachValue(inSet: set) { sum += memory.input[$0] }
            let mean = sum / valuesPerSet
            var squares: Float = 0
            forEachValue(inSet: set) { let centered = memory.input[$0] - mean; squares += centered * centered }
            let reciprocal = 1 / (squares / valuesPerSet + epsilon).squareRoot()
            reciprocals[set] = reciprocal
            forEachValue(inSet: set) { normalized[$0] = (memory.input[$0] - mean) * reciprocal }
        }
        let gammas = scale ? memory.parameters : nil, betas = center ? memory.parameters + (scale ? channels : 0) : nil
        for position in 0..<positions {
            for channel in 0..<channels {
                let offset = position * channels + channel
                memory.output[offset] = normalized[offset] * (gammas?[channel] ?? 1) + (betas?[channel] ?? 0)
            }
        }
    }

    func backward(_ memory: LayerMemory) {
        let normalized = memory.saved, reciprocals = memory.saved + shape.count
        let dy = memory.outputGradient
        let gradient = memory.parameterGradient
        gradient.update(repeating: 0, count: (scale ? channels : 0) + (center ? channels : 0))
        for position in 0..<positions {
            for channel in 0..<channels {
                let offset = position * channels + channel
                if scale { gradient[channel] += dy[offset] * normalized[offset] }
                if center { gradient[(scale ? channels : 0) + channel] += dy[offset] }
            }
        }
        guard let inputGradient = memory.inputGradient else { return }
        let gammas = scale ? memory.parameters : nil
        for set in 0..<setCount {
            var sum: Float = 0, projected: Float = 0
            forEachValue(inSet: set) { offset in
                let g = dy[offset] * (gammas?[offset % channels] ?? 1)
                sum += g
                projected += g * normalized[offset]
            }
            let meanGradient = sum / valuesPerSet, meanProjected = projected / valuesPerSet, reciprocal = reciprocals[set]
            forEachValue(inSet: set) { offset in
                let g = dy[offset] * (gammas?[offset % channels] ?? 1)
                inputGradient[offset] = (g - meanGradient - normalized[offset] * meanProjected) * reciprocal
            }
        }
    }
}
