import Foundation
import Testing
import CTandemZlib
import TandemData

/// How a test file is stored on disk: the reader must accept both alike.
enum Compression: String, CaseIterable, CustomTestStringConvertible {
    case raw
    case gzip

    var testDescription: String { rawValue }
    /// The file-name suffix the dataset directory looks for.
    var suffix: String { self == .gzip ? ".gz" : "" }
}

/// A small known dataset: 5 images of 3×4 pixels whose bytes are all distinct (so a shifted or
/// mis-sliced read cannot pass) and span 0…255, with labels in 0..<10.
enum SampleData {
    static let count = 5
    static let rows = 3
    static let columns = 4
    static let imageSize = rows * columns
    /// 37 is coprime to 256, so the 60 bytes are distinct.
    static let pixels: [UInt8] = (0..<count * imageSize).map { UInt8(($0 * 37 + 11) % 256) }
    static let labels: [UInt8] = [3, 0, 9, 1, 7]

    static var imageFile: [UInt8] { idxFile(dimensions: [count, rows, columns], data: pixels) }
    static var labelFile: [UInt8] { idxFile(dimensions: [count], data: labels) }

    /// The pixels of images `range`, as a reader that kept only those should return them.
    static func pixels(of range: Range<Int>) -> [UInt8] {
        Array(pixels[range.lowerBound * imageSize..<range.upperBound * imageSize])
    }
}

/// Bytes from xorshift64, incompressible enough that a gzip file of them is about as long as they are.
func pseudoRandomBytes(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state >> 32)
    }
}

/// The bytes of an IDX file: `00 00 type dimensionCount`, each dimension as a big-endian UInt32, then `data`.
func idxFile(elementType: UInt8 = 0x08, dimensions: [Int], data: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, elementType, UInt8(dimensions.count)]
    for dimension in dimensions {
        bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: dimension >> $0) }
    }
    return bytes + data
}

/// Runs `body` with a fresh, empty directory that is removed afterwards, whatever `body` does.
func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("TandemDataTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: url) }
    try body(url.path)
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// Writes `bytes` to `path`, gzip-compressed through zlib (as the real dataset files are) or plain.
func write(_ bytes: [UInt8], to path: String, as compression: Compression = .raw) throws {
    switch compression {
    case .raw:
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw FixtureError(description: "cannot create \(path)")
        }
    case .gzip:
        guard let handle = gzopen(path, "wb") else { throw FixtureError(description: "gzopen failed for \(path)") }
        let written = bytes.withUnsafeBytes { gzwrite(handle, $0.baseAddress, UInt32($0.count)) }
        let closed = gzclose(handle)
        guard Int(written) == bytes.count, closed == Z_OK else {
            throw FixtureError(description: "gzip write of \(path) failed (wrote \(written) of \(bytes.count), close \(closed))")
        }
    }
}

/// The bytes of `bytes` gzip-compressed, for tests that damage the compressed stream itself.
func gzipCompressed(_ bytes: [UInt8], scratchDirectory: String) throws -> [UInt8] {
    let path = scratchDirectory + "/compressed-\(UUID().uuidString).gz"
    try write(bytes, to: path, as: .gzip)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Writes the four files of an MNIST-layout directory: `train` and `t10k` images and labels.
func writeDatasetDirectory(at directory: String, compression: Compression,
                           train: (images: [UInt8], labels: [UInt8]) = (SampleData.imageFile, SampleData.labelFile),
                           test: (images: [UInt8], labels: [UInt8]) = (SampleData.imageFile, SampleData.labelFile)) throws {
    for (split, files) in [("train", train), ("t10k", test)] {
        try write(files.images, to: "\(directory)/\(split)-images-idx3-ubyte\(compression.suffix)", as: compression)
        try write(files.labels, to: "\(directory)/\(split)-labels-idx1-ubyte\(compression.suffix)", as: compression)
    }
}

/// Expects `body` to throw an `InputFileError` that names `path` and whose problem contains every one
/// of `words` (case-insensitively): the user must learn which file is bad and what is wrong with it.
func expectInputFileError(path: String, mentioning words: [String],
                          sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    let error = #expect(throws: InputFileError.self, sourceLocation: sourceLocation) { try body() }
    guard let error else { return }
    #expect(error.path == path, "error names \(error.path), expected \(path)", sourceLocation: sourceLocation)
    for word in words {
        #expect(error.problem.lowercased().contains(word.lowercased()),
                "problem \"\(error.problem)\" does not mention \"\(word)\"", sourceLocation: sourceLocation)
    }
}
