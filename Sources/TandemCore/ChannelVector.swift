/// A group of consecutive channels of one position, loaded and combined as one value.
///
/// With HWC activations the channels of a position are contiguous, so the pooling windows run on
/// `SIMD16<Float>` groups of channels, with a scalar tail for channel counts that are not a multiple of
/// 16. Kernels written once, generic over `ChannelVector`, are specialised for both. (The loops that
/// gain most from wider registers are C kernels per CPU level instead: CTandemKernels.)
protocol ChannelVector {
    static var width: Int { get }
    static var zero: Self { get }
    static func load(_ pointer: UnsafePointer<Float>) -> Self
    func store(to pointer: UnsafeMutablePointer<Float>)
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static prefix func - (operand: Self) -> Self
    static func * (lhs: Self, rhs: Float) -> Self
    func maximum(_ other: Self) -> Self
    /// `a == b ? then : else`, element by element.
    static func select(ifEqual a: Self, _ b: Self, then: Self, else: Self) -> Self
}

extension Float: ChannelVector {
    static var width: Int { 1 }
    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> Float { pointer.pointee }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Float>) { pointer.pointee = self }
    @inline(__always) func maximum(_ other: Float) -> Float { other > self ? other : self }
    @inline(__always) static func select(ifEqual a: Float, _ b: Float, then: Float, else otherwise: Float) -> Float { a == b ? then : otherwise }
}

typealias WideChannelVector = SIMD16<Float>

extension SIMD16: ChannelVector where Scalar == Float {
    static var width: Int { 16 }
    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD16<Float>.self)
    }
    @inline(__always) func maximum(_ other: SIMD16<Float>) -> SIMD16<Float> { self.replacing(with: other, where: other .> self) }
    @inline(__always) static func select(ifEqual a: SIMD16<Float>, _ b: SIMD16<Float>, then: SIMD16<Float>, else otherwise: SIMD16<Float>) -> SIMD16<Float> {
        otherwise.replacing(with: then, where: a .== b)
    }
}

/// Work on the channels `channel ..< channel + V.width` of something.
protocol ChannelKernel {
    func run<V: ChannelVector>(_ vector: V.Type, channel: Int)
}

extension ChannelKernel {
    /// Runs the kernel over `0..<channels`: wide groups first, then one channel at a time.
    @inline(__always)
    func run(channels: Int) {
        var channel = 0
        while channel + WideChannelVector.width <= channels {
            run(WideChannelVector.self, channel: channel)
            channel += WideChannelVector.width
        }
        while channel < channels {
            run(Float.self, channel: channel)
            channel += 1
        }
    }
}
