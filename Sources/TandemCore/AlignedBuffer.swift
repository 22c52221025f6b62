#if canImport(Glibc)
import Glibc
#endif

/// A fixed-size, 64-byte-aligned, zero-initialised array that owns its memory.
///
/// Every large buffer in Tandem (parameters, gradients, Adam moments, activations, scratch, the
/// fixed-point gradient sums) is one of these, allocated once before training so that the step itself
/// never allocates.
package final class AlignedBuffer<Element: Numeric & BitwiseCopyable>: @unchecked Sendable {
    package let pointer: UnsafeMutablePointer<Element>
    package let count: Int

    package init(count: Int) {
        precondition(count >= 0, "AlignedBuffer count must not be negative")
        var raw: UnsafeMutableRawPointer?
        // 64 bytes: one cache line, one AVX-512 register.
        let status = posix_memalign(&raw, 64, max(count, 1) * MemoryLayout<Element>.stride)
        guard status == 0, let raw else { fatalError("out of memory allocating \(count) × \(Element.self)") }
        pointer = raw.bindMemory(to: Element.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        self.count = count
    }

    package convenience init(_ values: [Element]) {
        self.init(count: values.count)
        copy(from: values)
    }

    deinit { free(pointer) }

    package var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    package subscript(index: Int) -> Element {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    package var array: [Element] { Array(buffer) }

    package func fill(with value: Element) { pointer.update(repeating: value, count: count) }

    package func copy(from values: [Element]) {
        precondition(values.count == count, "AlignedBuffer.copy: \(values.count) values into \(count)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }
}

package typealias FloatBuffer = AlignedBuffer<Float>
/// Sums in a `FixedPointFormat`: exact, so the same bits whatever order they were added in.
package typealias FixedPointBuffer = AlignedBuffer<Int64>
