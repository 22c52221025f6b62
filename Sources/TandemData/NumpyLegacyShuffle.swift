/// NumPy's legacy `np.random.RandomState(seed).shuffle(list)`, bit for bit: what Keras's
/// `image_dataset_from_directory` uses to choose the validation files, so that `--seed S` holds out the
/// same pictures as Keras's `seed=S`.
struct NumpyLegacyShuffle {
    /// MT19937 seeded as `init_genrand(seed)` (RandomState's integer seeding).
    private var state = [UInt32](repeating: 0, count: 624)
    private var position = 624

    init(seed: UInt32) {
        state[0] = seed
        for index in 1..<624 {
            state[index] = 1_812_433_253 &* (state[index - 1] ^ (state[index - 1] >> 30)) &+ UInt32(index)
        }
    }

    private mutating func next() -> UInt32 {
        if position == 624 {
            for index in 0..<624 {
                let y = (state[index] & 0x8000_0000) | (state[(index + 1) % 624] & 0x7FFF_FFFF)
                state[index] = state[(index + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
            }
            position = 0
        }
        var y = state[position]
        position += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        return y ^ (y >> 18)
    }

    /// NumPy's `random_interval`: uniform in `0...maximum` by masked rejection.
    private mutating func interval(_ maximum: UInt32) -> UInt32 {
        guard maximum > 0 else { return 0 }
        var mask = maximum
        for shift in [1, 2, 4, 8, 16] as [UInt32] { mask |= mask >> shift }
        while true {
            let value = next() & mask
            if value <= maximum { return value }
        }
    }

    /// `RandomState(seed).shuffle(elements)`: Fisher–Yates from the end.
    static func shuffled<Element>(_ elements: [Element], seed: UInt32) -> [Element] {
        var generator = NumpyLegacyShuffle(seed: seed)
        var result = elements
        for index in stride(from: result.count - 1, to: 0, by: -1) {
            result.swapAt(index, Int(generator.interval(UInt32(index))))
        }
        return result
    }
}
