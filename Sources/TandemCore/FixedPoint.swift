import CTandemKernels

/// Sums of floats whose bits do not depend on the order of the additions.
///
/// Float addition is not associative, so a sum over a global batch computed in floats depends on how
/// the batch was split across ranks and in which order the ranks' partial sums were combined. Here
/// each value is rounded once, to the nearest multiple of 2^−`fractionBits`, and the integers are summed
/// as `Int64`. Integer addition is exact and associative: any split of the batch, any number of ranks
/// and any allreduce (Tandem's own schedules or `MPI_Allreduce` with `MPI_SUM` on `MPI_INT64_T`) give
/// the same bits.
///
/// The range is checked, never wrapped: `limit` is the largest |value| one addend may have, chosen so
/// that every scaled value stays below 2^51 (where the conversion below rounds exactly) and any sum of
/// up to `maximumAddends` addends stays below 2^62 in magnitude, in any grouping. A value beyond it,
/// or a NaN or infinity, makes `accumulate` return false.
package struct FixedPointFormat: Sendable, Equatable {
    package let fractionBits: Int
    package let maximumAddends: Int
    /// Values must satisfy |value| < limit.
    package let limit: Double

    package init(fractionBits: Int, maximumAddends: Int) {
        precondition((0...62).contains(fractionBits) && maximumAddends >= 1)
        var addendBits = 0
        while (1 << addendBits) < maximumAddends { addendBits += 1 }
        let magnitudeBits = min(51, 62 - addendBits)
        self.fractionBits = fractionBits
        self.maximumAddends = maximumAddends
        limit = Double(sign: .plus, exponent: magnitudeBits - fractionBits, significand: 1)
    }

    /// Micro-batch gradients (per-sample gradients already divided by the global batch size, summed over
    /// the micro-batch), `addends` of them a step: resolution 2^−40 ≈ 9.1e−13, up to 2^11 = 2,048 per
    /// micro-batch for up to 2,048 micro-batches (half that for each doubling beyond). At the tutorial's
    /// batch of 32 a sample's gradient may reach 65,536 / m on average over its micro-batch of m, far
    /// past any gradient that still trains.
    package static func gradient(addends: Int) -> FixedPointFormat {
        FixedPointFormat(fractionBits: 40, maximumAddends: addends)
    }

    /// Losses (cross-entropy) summed over a micro-batch: resolution 2^−32 ≈ 2.3e−10, up to 2^19 = 524,288
    /// per micro-batch for up to 2,048 addends (half that for each doubling beyond).
    package static func loss(addends: Int) -> FixedPointFormat {
        FixedPointFormat(fractionBits: 32, maximumAddends: addends)
    }

    /// Per-channel sums of activations and of their squared deviations over a micro-batch's samples and
    /// positions (batch-norm statistics): resolution 2^−24 ≈ 6e−8, up to 2^27 ≈ 1.3e8 per micro-batch
    /// and channel for up to 2,048 micro-batches.
    package static func statistics(addends: Int) -> FixedPointFormat {
        FixedPointFormat(fractionBits: 24, maximumAddends: addends)
    }

    var scale: Double { Double(sign: .plus, exponent: fractionBits, significand: 1) }
    package var inverseScale: Double { Double(sign: .plus, exponent: -fractionBits, significand: 1) }
    /// Scaled limit: |scaled value| < 2^magnitudeBits ≤ 2^51.
    var scaledLimit: Double { limit * scale }

    // 1.5·2^52: adding it to a double of magnitude below 2^51 rounds it to the nearest integer (ties to
    // even) and leaves that integer in the low mantissa bits, where subtracting the constant's own bit
    // pattern reads it out as an Int64 (the C kernel vectorises the same steps).
    private static let roundingConstant = 6_755_399_441_055_744.0
    private static let roundingConstantBits = Int64(bitPattern: roundingConstant.bitPattern)

    /// The fixed-point value of `value`, or nil if it is out of range or not finite.
    @inline(__always)
    package func fixedPoint(_ value: Float) -> Int64? {
        let scaled = Double(value) * scale
        guard scaled < scaledLimit && scaled > -scaledLimit else { return nil }
        return Int64(bitPattern: (scaled + Self.roundingConstant).bitPattern) &- Self.roundingConstantBits
    }

    /// `sums[i] += fixedPoint(values[i])` for every `i`; false if any value was out of range or not
    /// finite (the sums are then meaningless and must not be used).
    @inline(__always)
    package func accumulate(_ values: UnsafePointer<Float>, count: Int, into sums: UnsafeMutablePointer<Int64>) -> Bool {
        tandem_fixed_point_round(values, count, sums, scale, scaledLimit, 1) != 0
    }

    /// `sums[i] = fixedPoint(values[i])` for every `i`: the first addend of a sum, with no pass to clear it
    /// first. False as `accumulate`.
    @inline(__always)
    package func store(_ values: UnsafePointer<Float>, count: Int, into sums: UnsafeMutablePointer<Int64>) -> Bool {
        tandem_fixed_point_round(values, count, sums, scale, scaledLimit, 0) != 0
    }

    /// Whether every value is in the range `accumulate` takes (finite, |value| < `limit`), copying the
    /// values to `copy` if given: for a micro-batch's gradient that is rounded later, on another rank.
    @inline(__always)
    package func check(_ values: UnsafePointer<Float>, count: Int, copyingTo copy: UnsafeMutablePointer<Float>?) -> Bool {
        tandem_fixed_point_check(values, count, copy, Float(limit)) != 0
    }

    /// The value a sum stands for, rounded to a double (exact below 2^53 units).
    @inline(__always)
    package func value(_ sum: Int64) -> Double { Double(sum) * inverseScale }

    /// `floats[i] = Float(value(sums[i]))`, or of `sums[i] + second[i]`: rounded once to a double, then
    /// once to a float (the optimiser's update from exact sums converts the same way).
    package func convert(_ sums: UnsafePointer<Int64>, _ second: UnsafePointer<Int64>? = nil, count: Int,
                         to floats: UnsafeMutablePointer<Float>) {
        tandem_fixed_point_values(sums, second, count, inverseScale, floats)
    }
}
