import CTandemZlib
import Foundation

/// Reads a file front to back, inflating it if it is gzip (by its magic bytes, `1f 8b`), passing it
/// through otherwise.
///
/// Built on zlib's `inflate` rather than `gzread` because `inflate` says when a gzip stream really
/// ended: a file cut anywhere, the 8-byte CRC/size trailer included, is reported as truncated, and a
/// CRC mismatch as corrupt. Concatenated gzip members are read in turn; anything else after the
/// last member is an error.
final class DecompressingReader {
    let path: String
    private let file: UnsafeMutablePointer<FILE>
    let isGzip: Bool
    private var stream = z_stream()
    private let input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 1 << 17
    /// Bytes of `input` not yet consumed (plain files) or not yet given to zlib.
    private var pending: UnsafeMutablePointer<UInt8>
    private var pendingCount = 0
    private var inputEnded = false
    private var streamEnded = false

    init(path: String) throws {
        self.path = path
        guard let file = fopen(path, "rb") else {
            throw InputFileError(path: path, problem: String(cString: strerror(errno)).lowercased())
        }
        self.file = file
        input = .allocate(capacity: inputCapacity)
        pending = input
        // Peek at the magic bytes.
        let peeked = fread(input, 1, inputCapacity, file)
        pendingCount = peeked
        inputEnded = peeked < inputCapacity
        isGzip = peeked >= 2 && input[0] == 0x1f && input[1] == 0x8b
        if isGzip {
            // 15 + 16: a gzip wrapper (header and CRC-32/size trailer) around a 32 KB-window deflate stream.
            let status = inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else {
                fclose(file)
                input.deallocate()
                throw InputFileError(path: path, problem: "cannot start decompressing (zlib error \(status))")
            }
        }
    }

    deinit {
        if isGzip { inflateEnd(&stream) }
        fclose(file)
        input.deallocate()
    }

    /// Reads up to `buffer.count` bytes; returns how many, 0 only at the end of the data.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        return isGzip ? try inflate(into: buffer) : copy(into: buffer)
    }

    private func refill() {
        guard !inputEnded, pendingCount == 0 else { return }
        let got = fread(input, 1, inputCapacity, file)
        pending = input
        pendingCount = got
        if got < inputCapacity { inputEnded = true }
    }

    private func copy(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        refill()
        let count = min(pendingCount, buffer.count)
        buffer.baseAddress!.copyMemory(from: pending, byteCount: count)
        pending += count
        pendingCount -= count
        return count
    }

    private func inflate(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var produced = 0
        while produced < buffer.count {
            if streamEnded {
                // Another gzip member may follow; anything else is an error.
                refill()
                if pendingCount == 0 { return produced }
                if pendingCount >= 2 && pending[0] == 0x1f && pending[1] == 0x8b {
                    inflateReset(&stream)
                    streamEnded = false
                } else {
                    throw InputFileError(path: path, problem: "unexpected bytes after the gzip data")
                }
            }
            refill()
            if pendingCount == 0 && inputEnded {
                throw InputFileError(path: path, problem: "truncated gzip data (the file ends inside the compressed stream)")
            }
            stream.next_in = pending
            stream.avail_in = UInt32(pendingCount)
            stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + produced
            stream.avail_out = UInt32(buffer.count - produced)
            let status = CTandemZlib.inflate(&stream, Z_NO_FLUSH)
            let consumed = pendingCount - Int(stream.avail_in)
            pending += consumed
            pendingCount -= consumed
            produced = buffer.count - Int(stream.avail_out)
            switch status {
            case Z_STREAM_END:
                streamEnded = true
            case Z_OK:
                break
            case Z_BUF_ERROR where pendingCount == 0 && inputEnded:
                throw InputFileError(path: path, problem: "truncated gzip data (the file ends inside the compressed stream)")
            case Z_BUF_ERROR:
                break
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw InputFileError(path: path, problem: "corrupt gzip data (\(message))")
            }
        }
        return produced
    }
}
