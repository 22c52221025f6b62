import Testing
@testable import TandemCore

/// The exact sums behind "the same weights at any rank count": any grouping and order of the same
/// addends gives the same bits, and nothing out of range is ever added silently.
struct FixedPointTests {
    let format = FixedPointFormat.gradient(addends: 32)

    func sum(_ values: [Float], format: FixedPointFormat) -> (sums: [Int64], inRange: Bool) {
        var sums = [Int64](repeating: 0, count: values.count)
        let inRange = format.accumulate(values, count: values.count, into: &sums)
        return (sums, inRange)
    }

    @Test("Known values: exact multiples of 2^-40, ties rounded to even")
    func knownValues() {
        let unit = Float(sign: .plus, exponent: -40, significand: 1)
        #expect(format.fixedPoint(0.5) == 1 << 39)
        #expect(format.fixedPoint(-1.25) == -(5 << 38))
        #expect(format.fixedPoint(0) == 0)
        #expect(format.fixedPoint(2.5 * unit) == 2)     // tie: to even
        #expect(format.fixedPoint(3.5 * unit) == 4)
        #expect(format.fixedPoint(-2.5 * unit) == -2)
        #expect(format.fixedPoint(0.75 * unit) == 1)
        #expect(format.fixedPoint(unit / 4) == 0)       // below the resolution
        // The vector path (8 at a time) and the scalar tail agree with `fixedPoint`.
        let values: [Float] = (0..<21).map { Float($0) * 0.37 - 3.1 }
        let (sums, inRange) = sum(values, format: format)
        #expect(inRange && sums == values.map { format.fixedPoint($0)! })
    }

    @Test("Any split of the addends and any order of the partial sums gives the same bits (float sums do not)")
    func orderIndependence() {
        var generator = RandomGenerator(seed: 5, stream: 1)
        // 64 "samples" × 40 elements, magnitudes spread over 10 orders of magnitude.
        let samples: [[Float]] = (0..<64).map { _ in
            (0..<40).map { _ in
                let magnitude = Float(sign: .plus, exponent: -Int(generator.next(below: 33)), significand: 1)
                return (Float(generator.next(below: 1 << 20)) / Float(1 << 19) - 1) * magnitude
            }
        }
        func exactSum(order: [Int], ranks: Int) -> [Int64] {
            // Each "rank" sums a contiguous part of `order`; then the ranks' sums are added in reverse.
            var partials: [[Int64]] = []
            for part in 0..<ranks {
                let range = order.count * part / ranks..<order.count * (part + 1) / ranks
                var sums = [Int64](repeating: 0, count: 40)
                for index in range { #expect(format.accumulate(samples[order[index]], count: 40, into: &sums)) }
                partials.append(sums)
            }
            return partials.reversed().reduce([Int64](repeating: 0, count: 40)) { zip($0, $1).map { $0 &+ $1 } }
        }
        func floatSum(order: [Int]) -> [Float] {
            order.reduce([Float](repeating: 0, count: 40)) { total, index in zip(total, samples[index]).map { $0 + $1 } }
        }
        let natural = Array(0..<64)
        let reference = exactSum(order: natural, ranks: 1)
        var shuffled = natural
        for trial in 0..<20 {
            shuffled = generator.permutation(count: 64).map { natural[Int($0)] }
            #expect(exactSum(order: shuffled, ranks: 1 + trial % 7) == reference)
        }
        // The property is not vacuous: float sums of the same addends in another order differ.
        #expect(floatSum(order: natural) != floatSum(order: shuffled))
        // And the exact sum is the true sum to within the rounding of each addend (half a unit each).
        for element in 0..<40 {
            let truth = samples.reduce(0.0) { $0 + Double($1[element]) }
            #expect(abs(format.value(reference[element]) - truth) <= 64 * format.value(1) / 2)
        }
    }

    @Test("NaN, infinities and values at or beyond the limit are reported, in the vector part and the tail, by rounding and by the range check alike")
    func outOfRange() {
        let limit = Float(format.limit)
        #expect(limit == 65_536 / 32)   // 2^11: a per-sample gradient up to 65,536 before the 1/32
        #expect(format.fixedPoint(limit.nextDown) != nil)
        for bad: Float in [.nan, .infinity, -.infinity, limit, -limit, 1e30, .signalingNaN] {
            #expect(format.fixedPoint(bad) == nil, "\(bad)")
            for position in [3, 17] {   // 3: inside the first group of 8; 17: in the scalar tail of 18
                var values = [Float](repeating: 0.25, count: 18)
                values[position] = bad
                #expect(!sum(values, format: format).inRange, "\(bad) at \(position)")
                #expect(!format.check(values, count: values.count, copyingTo: nil), "\(bad) at \(position)")
            }
        }
        #expect(sum([Float](repeating: limit.nextDown, count: 18), format: format).inRange)
        #expect(format.check([Float](repeating: -limit.nextDown, count: 18), count: 18, copyingTo: nil))
    }

    @Test("The most addends the format allows, all at the limit, sum without wrapping in any grouping")
    func noOverflow() {
        for addends in [1, 32, 4096, 1 << 20] {
            let format = FixedPointFormat.gradient(addends: addends)
            let largest = format.fixedPoint(Float(format.limit).nextDown)!
            #expect(Int128(largest) * Int128(addends) < Int128(Int64.max), "\(addends) addends")
            if addends >= 2048 {   // below that, the 2^51 bound of the conversion caps the range
                #expect(Int128(largest) * Int128(addends) >= Int128(Int64.max) / 4, "\(addends): range not wasted")
            }
        }
        // Losses: 2^-32 resolution, per-sample losses up to 2^19 for up to 2,048 addends, half that beyond.
        #expect(FixedPointFormat.loss(addends: 2048).limit == 524_288)
        #expect(FixedPointFormat.loss(addends: 2049).limit == 262_144)
    }

    @Test("Back to floats: within half a unit of the true sum, rounded once")
    func conversion() {
        let values: [Float] = [1e-3, -7.25, 0.1, 3e-9, 1500]
        let (sums, _) = sum(values, format: format)
        var floats = [Float](repeating: 0, count: values.count)
        format.convert(sums, count: sums.count, to: &floats)
        for (value, converted) in zip(values, floats) {
            #expect(abs(Double(converted) - Double(value)) <= format.value(1) / 2 + Double(value.magnitude.ulp) / 2)
        }
    }
}
