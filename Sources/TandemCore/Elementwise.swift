import Foundation

/// Element-wise loops over flat buffers, written over `SIMD16<Float>` groups so that they vectorise
/// regardless of whether the compiler can prove the pointers do not overlap.
public enum Elementwise {
    /// `destination[i] += source[i]`.
    @inline(__always)
    public static func add(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + WideChannelVector.width <= count {
            (WideChannelVector.load(destination + index) + WideChannelVector.load(source + index)).store(to: destination + index)
            index += WideChannelVector.width
        }
        while index < count {
            destination[index] += source[index]
            index += 1
        }
    }

    /// ReLU's backward pass: `gradient[i] = output[i] > 0 ? gradient[i] : 0` (zero at 0, as TensorFlow).
    @inline(__always)
    static func passWherePositive(_ gradient: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, count: Int) {
        var index = 0
        while index + WideChannelVector.width <= count {
            let values = WideChannelVector.load(gradient + index)
            let positive = WideChannelVector.load(output + index) .> 0
            WideChannelVector.zero.replacing(with: values, where: positive).store(to: gradient + index)
            index += WideChannelVector.width
        }
        while index < count {
            gradient[index] = output[index] > 0 ? gradient[index] : 0
            index += 1
        }
    }

    /// ReLU in place: `values[i] = max(values[i], 0)`.
    @inline(__always)
    static func clampBelowAtZero(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + WideChannelVector.width <= count {
            WideChannelVector.load(values + index).clampedBelowAtZero().store(to: values + index)
            index += WideChannelVector.width
        }
        while index < count {
            values[index] = values[index].clampedBelowAtZero()
            index += 1
        }
    }

    /// `values[i] = 1 / (1 + e^−values[i])`, through the C library's `exp` (one value at a time: sigmoid
    /// and tanh are rare in CNNs; a vector form would need a polynomial of our own).
    static func sigmoid(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { values[index] = 1 / (1 + Foundation.exp(-values[index])) }
    }

    /// `values[i] = tanh(values[i])`, through the C library.
    static func tanh(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { values[index] = Foundation.tanh(values[index]) }
    }

    /// Sigmoid's backward pass from its output y: `gradient[i] *= y(1 − y)`.
    @inline(__always)
    static func multiplyBySigmoidDerivative(_ gradient: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, count: Int) {
        var index = 0
        while index + WideChannelVector.width <= count {
            let y = WideChannelVector.load(output + index)
            (WideChannelVector.load(gradient + index) * y * (1 - y)).store(to: gradient + index)
            index += WideChannelVector.width
        }
        while index < count {
            gradient[index] *= output[index] * (1 - output[index])
            index += 1
        }
    }

    /// Tanh's backward pass from its output y: `gradient[i] *= 1 − y²`.
    @inline(__always)
    static func multiplyByTanhDerivative(_ gradient: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, count: Int) {
        var index = 0
        while index + WideChannelVector.width <= count {
            let y = WideChannelVector.load(output + index)
            (WideChannelVector.load(gradient + index) * (1 - y * y)).store(to: gradient + index)
            index += WideChannelVector.width
        }
        while index < count {
            gradient[index] *= 1 - output[index] * output[index]
            index += 1
        }
    }

    // Per-channel kernels of the normalisation layers: each works on one position's channels, `count`
    // contiguous floats, with per-channel vectors of the same length.

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>, _ index: Int) -> SIMD16<Float> {
        UnsafeRawPointer(pointer + index).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    private static func store(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>, _ index: Int) {
        UnsafeMutableRawPointer(pointer + index).storeBytes(of: value, as: SIMD16<Float>.self)
    }

    /// `sums[i] += (x[i] − mean[i])²`.
    @inline(__always)
    static func addSquaredDeviations(_ x: UnsafePointer<Float>, mean: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 16 <= count {
            let centered = load(x, index) - load(mean, index)
            store(load(sums, index) + centered * centered, sums, index)
            index += 16
        }
        while index < count {
            let centered = x[index] - mean[index]
            sums[index] += centered * centered
            index += 1
        }
    }

    /// `y[i] = x[i] · a[i] + b[i]`.
    @inline(__always)
    static func multiplyAdd(_ x: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                            into y: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 16 <= count {
            store(load(x, index) * load(a, index) + load(b, index), y, index)
            index += 16
        }
        while index < count {
            y[index] = x[index] * a[index] + b[index]
            index += 1
        }
    }

    /// `y[i] = (x[i] − mean[i]) · scale[i]`.
    @inline(__always)
    static func centerAndScale(_ x: UnsafePointer<Float>, mean: UnsafePointer<Float>, scale: UnsafePointer<Float>,
                               into y: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 16 <= count {
            store((load(x, index) - load(mean, index)) * load(scale, index), y, index)
            index += 16
        }
        while index < count {
            y[index] = (x[index] - mean[index]) * scale[index]
            index += 1
        }
    }

    /// `sums[i] += a[i] · b[i]`.
    @inline(__always)
    static func addProducts(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 16 <= count {
            store(load(sums, index) + load(a, index) * load(b, index), sums, index)
            index += 16
        }
        while index < count {
            sums[index] += a[index] * b[index]
            index += 1
        }
    }

    /// `dx[i] = factor[i] · (dy[i] − meanGradient[i] − x̂[i] · meanProjection[i])`: batch-norm's input gradient.
    @inline(__always)
    static func normalizationInputGradient(_ dy: UnsafePointer<Float>, normalized: UnsafePointer<Float>,
                                           factor: UnsafePointer<Float>, meanGradient: UnsafePointer<Float>,
                                           meanProjection: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 16 <= count {
            let value = load(dy, index) - load(meanGradient, index) - load(normalized, index) * load(meanProjection, index)
            store(load(factor, index) * value, dx, index)
            index += 16
        }
        while index < count {
            dx[index] = factor[index] * (dy[index] - meanGradient[index] - normalized[index] * meanProjection[index])
            index += 1
        }
    }
}
