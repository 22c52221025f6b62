import Foundation
import CTandemZlib

/// A problem with an input file, worded for the user: the file, then what is wrong with it.
package struct InputFileError: Error, CustomStringConvertible, Equatable {
    package let path: String
    package let problem: String
    package init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
    package var description: String { "\(path): \(problem)" }
}

/// Reads IDX files (the MNIST format: a magic number, big-endian dimensions, then raw values), gzip
/// compressed or plain.
///
/// Everything is validated before it is used: magic number and element type, dimensions, that the
/// data is complete, and that nothing follows it.
package enum IDXReader {
    /// The IDX element type code for unsigned bytes, the only type the datasets use.
    static let unsignedByte: UInt8 = 0x08

    package struct Images {
        package let count: Int
        package let rows: Int
        package let columns: Int
        /// 1 for `idx3` files (count, rows, columns); the fourth dimension of `idx4` files.
        package let channels: Int
        /// `pixels[((i · rows + r) · columns + c) · channels + k]` for the images that were kept: mapped
        /// from a plain file, read from a compressed one.
        package let pixels: ImageBytes
        /// Which of the file's images `pixels` holds.
        package let kept: Range<Int>
    }

    /// Reads an image file (`idx3`: count, rows, columns; or `idx4` with channels last, unsigned bytes),
    /// keeping only the images `keeping` picks once it knows how many the file holds (all if `nil`);
    /// the rest are decompressed and checked, then dropped.
    package static func readImages(path: String, keeping: ((Int) -> Range<Int>)? = nil) throws -> Images {
        let file = try IDXStream(path: path)
        let dimensions = try file.readHeader(expectedDimensions: 3...4, what: "an image file (idx3 or idx4)")
        let (count, rows, columns) = (dimensions[0], dimensions[1], dimensions[2])
        let channels = dimensions.count == 4 ? dimensions[3] : 1
        guard rows > 0, columns > 0, channels > 0, rows <= 4096, columns <= 4096, channels <= 4096 else {
            throw InputFileError(path: path, problem: "implausible image size \(rows)x\(columns)x\(channels)")
        }
        let kept = (keeping?(count) ?? 0..<count).clamped(to: 0..<count)
        let imageBytes = rows * columns * channels
        // A plain file of exactly the announced size holds the images as they are: map them, shared
        // with the other processes of the host. Anything else is read (and its faults reported) below.
        let headerSize = 4 + 4 * dimensions.count
        if !file.isCompressed, fileSize(path) == headerSize + count * imageBytes,
           let mapped = ImageBytes(mapping: path, offset: headerSize + kept.lowerBound * imageBytes, count: kept.count * imageBytes) {
            return Images(count: count, rows: rows, columns: columns, channels: channels, pixels: mapped, kept: kept)
        }
        try file.skip(kept.lowerBound * imageBytes, what: "image data", expectedTotal: count * imageBytes, done: 0)
        let pixels = try file.read(kept.count * imageBytes, what: "image data", expectedTotal: count * imageBytes,
                                   done: kept.lowerBound * imageBytes)
        try file.skip((count - kept.upperBound) * imageBytes, what: "image data", expectedTotal: count * imageBytes,
                      done: kept.upperBound * imageBytes)
        try file.expectEnd()
        return Images(count: count, rows: rows, columns: columns, channels: channels, pixels: ImageBytes(copying: pixels),
                      kept: kept)
    }

    /// Reads a label file (`idx1`, unsigned bytes), checking every label is below `classCount`.
    package static func readLabels(path: String, classCount: Int) throws -> [UInt8] {
        let file = try IDXStream(path: path)
        let count = try file.readHeader(expectedDimensions: 1...1, what: "a label file (idx1)")[0]
        let labels = try file.read(count, what: "labels", expectedTotal: count, done: 0)
        try file.expectEnd()
        if let index = labels.firstIndex(where: { Int($0) >= classCount }) {
            throw InputFileError(path: path, problem: "label \(labels[index]) at index \(index) is out of range 0..<\(classCount)")
        }
        return labels
    }
}

/// The size of the file at `path` in bytes, or -1.
func fileSize(_ path: String) -> Int {
    var status = stat()
    return stat(path, &status) == 0 ? Int(status.st_size) : -1
}

/// An IDX file read front to back (gzip or plain), with errors that name it.
private final class IDXStream {
    let path: String
    private let reader: DecompressingReader

    init(path: String) throws {
        self.path = path
        reader = try DecompressingReader(path: path)
    }

    var isCompressed: Bool { reader.isGzip }

    /// Reads exactly `count` bytes unless the data ends first; returns how many were read.
    private func readFully(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var offset = 0
        while offset < buffer.count {
            let got = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
            if got == 0 { break }
            offset += got
        }
        return offset
    }

    /// Reads the magic number and dimensions; returns the dimensions. `what` names the file kind with
    /// its article ("an image file (idx3)") for the message.
    func readHeader(expectedDimensions: ClosedRange<Int>, what: String) throws -> [Int] {
        var magic = [UInt8](repeating: 0, count: 4)
        let got = try magic.withUnsafeMutableBytes { try readFully($0) }
        guard got == 4 else { throw InputFileError(path: path, problem: "too short to be an IDX file (\(got) bytes)") }
        guard magic[0] == 0, magic[1] == 0 else {
            throw InputFileError(path: path, problem: String(format: "bad magic number 0x%02x%02x%02x%02x: not an IDX file", magic[0], magic[1], magic[2], magic[3]))
        }
        guard magic[2] == IDXReader.unsignedByte else {
            throw InputFileError(path: path, problem: String(format: "element type 0x%02x is not unsigned bytes (0x08)", magic[2]))
        }
        guard expectedDimensions.contains(Int(magic[3])) else {
            let expected = expectedDimensions.count == 1 ? "\(expectedDimensions.lowerBound)" : "\(expectedDimensions.lowerBound) or \(expectedDimensions.upperBound)"
            throw InputFileError(path: path, problem: "has \(magic[3]) dimensions; \(what) has \(expected)")
        }
        var dimensions: [Int] = []
        for index in 0..<Int(magic[3]) {
            var bytes = [UInt8](repeating: 0, count: 4)
            let read = try bytes.withUnsafeMutableBytes { try readFully($0) }
            guard read == 4 else { throw InputFileError(path: path, problem: "truncated in the header (dimension \(index + 1))") }
            let value = bytes.reduce(0) { $0 << 8 | Int($1) }
            guard value > 0, value <= 100_000_000 else {
                throw InputFileError(path: path, problem: "implausible dimension \(index + 1): \(value)")
            }
            dimensions.append(value)
        }
        return dimensions
    }

    /// Fills `buffer` completely or throws "truncated".
    func read(into buffer: UnsafeMutableRawBufferPointer, what: String, expectedTotal: Int, done: Int) throws {
        let got = try readFully(buffer)
        if got < buffer.count {
            throw InputFileError(path: path, problem: "truncated: \(what) has \(done + got) of \(expectedTotal) bytes")
        }
    }

    /// Reads `count` bytes (or throws "truncated"), in chunks: memory grows with the data the file
    /// really holds, not with what a (possibly damaged) header announces.
    func read(_ count: Int, what: String, expectedTotal: Int, done: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let chunk = 16 << 20
        while bytes.count < count {
            let start = bytes.count, part = min(count - start, chunk)
            bytes.append(contentsOf: repeatElement(0, count: part))
            try bytes.withUnsafeMutableBytes {
                try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[start..<start + part]), what: what,
                         expectedTotal: expectedTotal, done: done + start)
            }
        }
        return bytes
    }

    /// Reads and discards `count` bytes (or throws "truncated").
    func skip(_ count: Int, what: String, expectedTotal: Int, done: Int) throws {
        guard count > 0 else { return }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: min(count, 1 << 20), alignment: 16)
        defer { chunk.deallocate() }
        var remaining = count
        while remaining > 0 {
            let part = min(remaining, chunk.count)
            try read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<part]), what: what,
                     expectedTotal: expectedTotal, done: done + count - remaining)
            remaining -= part
        }
    }

    /// Throws if anything follows the data the header announced.
    func expectEnd() throws {
        var extra = [UInt8](repeating: 0, count: 4096)
        var trailing = 0
        while true {
            let got = try extra.withUnsafeMutableBytes { try reader.read(into: $0) }
            if got == 0 { break }
            trailing += got
        }
        if trailing > 0 {
            throw InputFileError(path: path, problem: "\(trailing) unexpected bytes after the data the header describes")
        }
    }
}
