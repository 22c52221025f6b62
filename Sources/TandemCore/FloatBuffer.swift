#if canImport(Glibc)
import Glibc
#endif

/// A fixed-size, 64-byte-aligned, zero-initialised array of `Float` that owns its memory.
///
/// Every large buffer in Tandem (parameters, gradients, Adam moments, activations, scratch) is one
/// of these, allocated once before training so that the step itself never allocates.
public final class FloatBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer count must not be negative")
        var raw: UnsafeMutableRawPointer?
        // 64 bytes: one cache line, one AVX-512 register.
        let status = posix_memalign(&raw, 64, max(count, 1) * MemoryLayout<Float>.stride)
        guard status == 0, let raw else { fatalError("out of memory allocating \(count) floats") }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        self.count = count
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        copy(from: values)
    }

    deinit { free(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    public var array: [Float] { Array(buffer) }

    public func fill(with value: Float) { pointer.update(repeating: value, count: count) }

    public func copy(from values: [Float]) {
        precondition(values.count == count, "FloatBuffer.copy: \(values.count) floats into \(count)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }
}
