#if canImport(Glibc)
import Glibc
#endif
import TandemCore

/// A rank's share of a step's gradient until the allreduce: in the flat parameter layout, written by
/// every thread of the rank, and then the allreduce's buffer itself.
///
/// Usually (`Storage.exactSums`) the `Int64` fixed-point sums of the rank's micro-batches. A rank that
/// never holds more than one micro-batch a step, under an allreduce that can round on receipt
/// (`Communicator.addsBlockGradients`), keeps that micro-batch's gradient as floats instead
/// (`Storage.blockGradient`): backward writes it there in place (`ModelWorkspace.parameterGradients`),
/// `add` only checks it against the fixed-point range, and the allreduce rounds each float once where it
/// adds it, which gives the same integers as rounding here, sending half the bytes.
///
/// Each layer's range is cut into chunks of at most `chunkSize` elements with a lock each; a thread adds a
/// layer's block gradient chunk by chunk, starting at a chunk that depends on its index, so that two
/// threads adding the same layer at once rarely wait for each other. Integer addition is exact and
/// associative, so the order in which threads add does not change a bit. The first block to reach a chunk in
/// a step stores its values rather than adding them, so the buffer needs no clearing pass; chunks no
/// block reached (a rank without micro-batches, layers without a gradient) are zeroed by `finishStep`.
final class GradientAccumulator: @unchecked Sendable {
    enum Storage {
        /// The fixed-point sums, one per parameter.
        case exactSums(FixedPointBuffer)
        /// The rank's one micro-batch's gradient, one float per parameter (zeros in a step without one).
        case blockGradient(FloatBuffer)
    }

    let storage: Storage
    let format: FixedPointFormat
    private let chunks: [Range<Int>]
    /// `firstChunk[layer]..<firstChunk[layer + 1]` are the layer's chunks.
    private let firstChunk: [Int]
    private let written: UnsafeMutablePointer<Bool>
    /// One lock per chunk, when several threads add.
    private let locks: UnsafeMutablePointer<pthread_mutex_t>?

    static let chunkSize = 16_384

    /// - Parameter keepsBlockGradient: `Storage.blockGradient`, for a rank that holds at most one
    ///   micro-batch a step.
    init(model: Model, format: FixedPointFormat, threads: Int, keepsBlockGradient: Bool) {
        storage = keepsBlockGradient ? .blockGradient(FloatBuffer(count: model.parameterCount))
                                     : .exactSums(FixedPointBuffer(count: model.parameterCount))
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
            switch storage {
            case let .exactSums(sums):
                inRange = (written[chunk] ? format.accumulate(values, count: range.count, into: sums.pointer + range.lowerBound)
                                          : format.store(values, count: range.count, into: sums.pointer + range.lowerBound)) && inRange
            case let .blockGradient(floats):
                precondition(!written[chunk], "a rank that keeps one micro-batch's gradient was given a second")
                let destination = floats.pointer + range.lowerBound
                inRange = format.check(values, count: range.count, copyingTo: values == destination ? nil : destination) && inRange
            }
            written[chunk] = true
            if let locks { pthread_mutex_unlock(locks + chunk) }
        }
        return inRange
    }

    /// Zeroes the chunks no block wrote this step and readies every chunk for the next step. Call
    /// from one thread, after every `add` of the step.
    func finishStep() {
        for (index, range) in chunks.enumerated() {
            if !written[index] {
                switch storage {
                case let .exactSums(sums): (sums.pointer + range.lowerBound).update(repeating: 0, count: range.count)
                case let .blockGradient(floats): (floats.pointer + range.lowerBound).update(repeating: 0, count: range.count)
                }
            }
            written[index] = false
        }
    }
}
