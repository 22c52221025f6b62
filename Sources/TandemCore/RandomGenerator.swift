/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and fully specified, so that the same seed
/// gives the same initial weights and the same shuffles on every machine and every rank.
///
/// Independent streams (initialisation, the shuffle of epoch e, …) are derived from
/// `(seed, stream)`, so no generator state ever needs to be carried between epochs or ranks.
package struct RandomGenerator: Sendable {
    private var state: UInt64

    package init(seed: UInt64, stream: UInt64 = 0) {
        // Mix the stream id through one SplitMix step so that nearby (seed, stream) pairs start far apart.
        var mixer = RandomGenerator(rawState: stream &* 0xD1B5_4A32_D192_ED03)
        state = seed ^ mixer.next()
    }

    private init(rawState: UInt64) { state = rawState }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits: every value is exactly representable as a Float.
    package mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform in `range` (its upper bound excluded): `lower + (upper − lower) · u`, `u` from `nextUnitFloat`.
    package mutating func nextFloat(in range: ClosedRange<Float>) -> Float {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextUnitFloat()
    }

    /// Uniform integer in `0..<bound`, without modulo bias (Lemire 2019).
    package mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let bound = UInt64(bound)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return Int(product.high)
    }

    /// Fisher–Yates shuffle of `0..<count`.
    package mutating func permutation(count: Int) -> [Int32] {
        var order = (0..<Int32(count)).map { $0 }
        if count > 1 {
            for index in stride(from: count - 1, to: 0, by: -1) {
                order.swapAt(index, next(below: index + 1))
            }
        }
        return order
    }
}

/// The named streams a training run draws from.
package enum RandomStream {
    package static let initialization: UInt64 = 0
    /// The shuffle of epoch `e` (counting from 1) uses stream `shuffleBase + e`.
    package static let shuffleBase: UInt64 = 1 << 32
    package static func shuffle(epoch: Int) -> UInt64 { shuffleBase + UInt64(epoch) }
}

extension RandomStream {
    /// Per-sample draws of a randomised layer (Dropout's mask, augmentation): a stream that depends on
    /// the epoch, the sample's index in the training set and the layer's position in the model — never
    /// on which rank computes the sample or what else is in its batch.
    package static func sample(epoch: Int, index: Int, layer: Int) -> UInt64 {
        var mixer = RandomGenerator(seed: 0x5A4D_504C_4500_0000 ^ UInt64(layer), stream: UInt64(epoch))
        var second = RandomGenerator(seed: mixer.next(), stream: UInt64(index))
        return second.next()
    }
}
