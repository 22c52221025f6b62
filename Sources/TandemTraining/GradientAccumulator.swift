#if canImport(Glibc)
import Glibc
#endif
import TandemCore

/// A rank's exact sum of its micro-batches' gradients: `Int64` fixed-point sums in the flat parameter
/// layout, written by every thread of the rank, and then the allreduce buffer itself.
///
/// Each layer's range is cut into chunks of at most `chunkSize` sums with a lock each; a thread adds a
/// layer's block gradient chunk by chunk, starting at a chunk that depends on its index, so that two
/// threads adding the same layer at once rarely wait for each other. Integer addition is exact and
/// associative, so the order in which threads add does not change a bit. The first block to reach a chunk in
/// a step stores its values rather than adding them, so the buffer needs no clearing pass; chunks no
/// block reached (a rank without micro-batches, layers without a gradient) are zeroed by `finishStep`.
final class GradientAccumulator: @unchecked Sendable {
    /// The fixed-point sums, one per parameter.
    let sums: FixedPointBuffer
    let format: FixedPointFormat
    private let chunks: [Range<Int>]
    /// `firstChunk[layer]..<firstChunk[layer + 1]` are the layer's chunks.
    private let firstChunk: [Int]
    private let written: UnsafeMutablePointer<Bool>
    /// One lock per chunk, when several threads add.
    private let locks: UnsafeMutablePointer<pthread_mutex_t>?

    static let chunkSize = 16_384

    init(model: Model, format: FixedPointFormat, threads: Int) {
        sums = FixedPointBuffer(count: model.parameterCount)
        self.format = format
        var chunks: [Range<Int>] = [], firstChunk: [Int] = []
        for (layer, offset) in zip(model.layers, model.parameterOffsets) {
            firstChunk.append(chunks.count)
            var start = offset
            while start < offset + layer.parameterCount {
                let end = min(start + Self.chunkSize, offset + layer.parameterCount)
                chunks.append(start..<end)
                start = end
            }
        }
        firstChunk.append(chunks.count)
        self.chunks = chunks
        self.firstChunk = firstChunk
        written = .allocate(capacity: max(chunks.count, 1))
        written.initialize(repeating: false, count: max(chunks.count, 1))
        if threads > 1 {
            let locks = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: max(chunks.count, 1))
            for index in 0..<max(chunks.count, 1) { pthread_mutex_init(locks + index, nil) }
            self.locks = locks
        } else {
            locks = nil
        }
    }

    deinit {
        if let locks {
            for index in 0..<max(chunks.count, 1) { pthread_mutex_destroy(locks + index) }
            locks.deallocate()
        }
        written.deallocate()
    }

    /// Adds one block's gradient of layer `layer` (all of its parameters, from `gradient`); false if a
    /// value was out of the format's range or not finite. Thread `thread` of `threads` may call it
    /// while others do.
    func add(layer: Int, gradient: UnsafePointer<Float>, offset: Int, thread: Int, threads: Int) -> Bool {
        let chunkRange = firstChunk[layer]..<firstChunk[layer + 1]
        guard !chunkRange.isEmpty else { return true }
        var inRange = true
        let start = chunkRange.count * thread / threads
        for step in 0..<chunkRange.count {
            let chunk = chunkRange.lowerBound + (start + step) % chunkRange.count
            let range = chunks[chunk]
            if let locks { pthread_mutex_lock(locks + chunk) }
            let values = gradient + (range.lowerBound - offset)
            if written[chunk] {
                inRange = format.accumulate(values, count: range.count, into: sums.pointer + range.lowerBound) && inRange
            } else {
                inRange = format.store(values, count: range.count, into: sums.pointer + range.lowerBound) && inRange
                written[chunk] = true
            }
            if let locks { pthread_mutex_unlock(locks + chunk) }
        }
        return inRange
    }

    /// Zeroes the chunks no block wrote this step and readies every chunk for the next step. Call
    /// from one thread, after every `add` of the step.
    func finishStep() {
        for (index, range) in chunks.enumerated() {
            if !written[index] { (sums.pointer + range.lowerBound).update(repeating: 0, count: range.count) }
            written[index] = false
        }
    }
}
