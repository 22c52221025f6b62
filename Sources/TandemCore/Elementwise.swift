import Foundation

/// Element-wise loops over flat buffers, written over `SIMD16<Float>` groups so that they vectorise
/// regardless of whether the compiler can prove the pointers do not overlap. (ReLU, the per-channel sums
/// and the normalisation passes, which run in every model, are C kernels compiled per CPU level:
/// CTandemKernels.)
package enum Elementwise {
    // Activations and their gradients, one pass from a source into a destination (which may be the
    // source). The last, partial group of 16 goes through the same vector code, padded with zeros, so
    // every element gets the same arithmetic wherever it falls.

    /// Runs `body(index, width)` over `0..<count` in groups of 16, the last one `width` < 16 wide.
    @inline(__always)
    static func forEachGroup(_ count: Int, _ body: (Int, Int) -> Void) {
        var index = 0
        while index + 16 <= count {
            body(index, 16)
            index += 16
        }
        if index < count { body(index, count - index) }
    }

    /// The sum of `value(index, width)` over `0..<count`'s groups (lanes past `width` left out): lane by
    /// lane, then across the lanes, always in the same order.
    @inline(__always)
    static func sum(_ count: Int, _ value: (Int, Int) -> SIMD16<Float>) -> Float {
        var lanes = SIMD16<Float>()
        forEachGroup(count) { index, width in
            let group = value(index, width)
            lanes += width == 16 ? group : group.replacing(with: 0, where: laneIndices .>= Int32(width))
        }
        return lanes.sum()
    }

    private static let laneIndices = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    /// Floats `index ..< index + width` of `pointer` (`width` ≤ 16), zeros in the lanes beyond.
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>, _ index: Int, width: Int) -> SIMD16<Float> {
        if width == 16 { return load(pointer, index) }
        var value = SIMD16<Float>()
        for lane in 0..<width { value[lane] = pointer[index + lane] }
        return value
    }

    /// Stores the first `width` lanes of `value` at `pointer + index`.
    @inline(__always)
    static func store(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>, _ index: Int, width: Int) {
        if width == 16 { return store(value, pointer, index) }
        for lane in 0..<width { pointer[index + lane] = value[lane] }
    }

    /// `y[i] = 1 / (1 + e^−x[i])`.
    @inline(__always)
    static func sigmoid(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        forEachGroup(count) { index, width in
            store(1 / (1 + exponential(-load(x, index, width: width))), y, index, width: width)
        }
    }

    /// `y[i] = tanh(x[i])`: an odd polynomial near 0 (where `1 − 2/(e^2x + 1)` would lose digits to
    /// cancellation), that formula elsewhere.
    @inline(__always)
    static func tanh(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        forEachGroup(count) { index, width in
            store(hyperbolicTangent(load(x, index, width: width)), y, index, width: width)
        }
    }

    /// tanh of 16 values (see `tanh(_:into:count:)`).
    @inline(__always)
    static func hyperbolicTangent(_ value: SIMD16<Float>) -> SIMD16<Float> {
        let magnitude = value.replacing(with: -value, where: value .< 0)
        let large = 1 - 2 / (exponential(2 * magnitude) + 1)
        // Cephes' tanhf coefficients, for |x| < 0.625.
        let z = value * value
        var p = SIMD16<Float>(repeating: -5.70498872745e-3)
        p = p * z + 2.06390887954e-2
        p = p * z - 5.37397155531e-2
        p = p * z + 1.33314422036e-1
        p = p * z - 3.33332819422e-1
        let small = p * z * value + value
        let signed = large.replacing(with: -large, where: value .< 0)
        return signed.replacing(with: small, where: magnitude .< 0.625)
    }

    /// `e^x`, 16 at a time: `x = n·ln 2 + r` with |r| ≤ ln 2 / 2, `e^r` by Cephes' expf polynomial
    /// (within 2 ulp), times 2ⁿ put straight into the exponent bits. Inputs are clamped to where the
    /// result is a finite normal float.
    ///
    /// `n` is rounded by adding and subtracting 1.5·2²³ (exact round-to-nearest-even for |x·log₂e| < 2²²,
    /// and the integer is then the sum's low mantissa bits): the same `n` as `rounded(.toNearestOrEven)`
    /// and `SIMD16<Int32>(_:rounding:)`, which the compiler does not vectorise (element by element through
    /// generic code, 38% of an EfficientNet step).
    @inline(__always)
    static func exponential(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let clamped = x.clamped(lowerBound: SIMD16(repeating: -87.3), upperBound: SIMD16(repeating: 88.3))
        let shift = SIMD16<Float>(repeating: 12_582_912)   // 1.5·2²³, bit pattern 0x4B40_0000
        let shifted = clamped * 1.44269504088896341 + shift
        let n = shifted - shift
        let r = clamped - n * 0.693359375 + n * 2.12194440e-4
        var p = SIMD16<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let polynomial = p * r * r + r + 1
        let exponent = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return polynomial * unsafeBitCast(exponent, to: SIMD16<Float>.self)
    }

    /// Sigmoid's backward pass from its output y: `dx[i] = dy[i] · y(1 − y)`.
    @inline(__always)
    static func multiplyBySigmoidDerivative(_ dy: UnsafePointer<Float>, output y: UnsafePointer<Float>,
                                            into dx: UnsafeMutablePointer<Float>, count: Int) {
        forEachGroup(count) { index, width in
            let output = load(y, index, width: width)
            store(load(dy, index, width: width) * output * (1 - output), dx, index, width: width)
        }
    }

    /// Tanh's backward pass from its output y: `dx[i] = dy[i] · (1 − y²)`.
    @inline(__always)
    static func multiplyByTanhDerivative(_ dy: UnsafePointer<Float>, output y: UnsafePointer<Float>,
                                         into dx: UnsafeMutablePointer<Float>, count: Int) {
        forEachGroup(count) { index, width in
            let output = load(y, index, width: width)
            store(load(dy, index, width: width) * (1 - output * output), dx, index, width: width)
        }
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>, _ index: Int) -> SIMD16<Float> {
        UnsafeRawPointer(pointer + index).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    private static func store(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>, _ index: Int) {
        UnsafeMutableRawPointer(pointer + index).storeBytes(of: value, as: SIMD16<Float>.self)
    }
}
