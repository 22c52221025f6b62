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
}
