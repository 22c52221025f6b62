import Foundation
import Testing
import ZIPFoundation
@testable import TandemData

/// `.npz` datasets as NumPy writes them (Tests/Fixtures/npz, made by its generate.py), and bad ones,
/// each refused in one line naming the file and the problem.
struct NumpyArchiveTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/npz")

    @Test("Colour uint8 images with (n, 1) labels, stored: shape, bytes, labels, and a rank's shard")
    func colour() throws {
        let dataset = NumpyArchive(path: Self.fixtures.appendingPathComponent("colour-uint8.npz").path, classCount: 10)
        try dataset.validate()
        let train = try dataset.load(.train)
        #expect(train.count == 640 && train.rows == 32 && train.columns == 32 && train.channels == 3)
        #expect(train.pixels.count == 640 * 3072 && train.floatPixels.isEmpty)
        #expect(train.labels.allSatisfy { $0 < 10 } && Set(train.labels).count == 10)
        let shard = try dataset.load(.test, keeping: { _ in 50..<100 })
        let test = try dataset.load(.test)
        #expect(shard.count == 50 && shard.firstIndex == 50 && shard.fileCount == 200)
        #expect(Array(shard.pixels) == Array(test.pixels[50 * 3072..<100 * 3072]) && shard.labels == Array(test.labels[50..<100]))
        var image = [Float](repeating: .nan, count: 3072)
        test.writeImage(1, to: &image)
        let expected = test.pixels[3072..<6144].map { Float($0) * (1 / 255) }   // bytes scaled as writeImage scales them
        #expect(image == expected, "image 1 differs from its bytes / 255")
    }

    /// np.savez stores members uncompressed, so the images are mapped (one copy per host, in the page
    /// cache) rather than read; the same archive deflated is read through ZIPFoundation. Both must give
    /// the same bytes, whole and as a shard.
    @Test("Stored uint8 images are mapped, deflated ones read, with the same bytes")
    func mappedEqualsRead() throws {
        let stored = Self.fixtures.appendingPathComponent("colour-uint8.npz")
        try withTemporaryDirectory { directory in
            let deflated = URL(fileURLWithPath: directory + "/deflated.npz")
            let source = try Archive(url: stored, accessMode: .read)
            let copy = try Archive(url: deflated, accessMode: .create)
            for entry in source {
                var bytes = Data()
                _ = try source.extract(entry) { bytes.append($0) }
                try copy.addEntry(with: entry.path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) {
                    position, size in bytes.subdata(in: Int(position)..<Int(position) + size)
                }
            }
            for keeping in [nil, { (_: Int) in 3..<200 }] as [((Int) -> Range<Int>)?] {
                let mapped = try NumpyArchive(path: stored.path, classCount: 10).load(.test, keeping: keeping)
                let read = try NumpyArchive(path: deflated.path, classCount: 10).load(.test, keeping: keeping)
                #expect(mapped.pixels.isMapped && !read.pixels.isMapped)
                #expect(Array(mapped.pixels) == Array(read.pixels) && mapped.labels == read.labels)
                #expect(mapped.firstIndex == read.firstIndex && mapped.count == read.count)
            }
        }
    }

    @Test("Grey float32 images without a channel axis, (n,) int64 labels, deflated: taken as they are")
    func greyFloats() throws {
        let dataset = NumpyArchive(path: Self.fixtures.appendingPathComponent("grey-float32.npz").path, classCount: 10)
        let test = try dataset.load(.test)
        #expect(test.count == 100 && test.rows == 28 && test.columns == 28 && test.channels == 1)
        #expect(test.pixels.isEmpty && test.floatPixels.count == 100 * 784 && test.floatPixels.allSatisfy { (0..<1).contains($0) })
        var image = [Float](repeating: .nan, count: 784)
        test.writeImage(99, to: &image)
        #expect(image == Array(test.floatPixels[99 * 784..<100 * 784]), "image 99 is not its floats")
    }

    /// A `.npy` member: the header NumPy writes (version 1), then the data.
    static func npy(_ descr: String, _ shape: [Int], _ data: [UInt8], fortran: Bool = false) -> Data {
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8) + data
        return Data(bytes)
    }

    static func archive(_ members: [String: Data]) throws -> String {
        let path = NSTemporaryDirectory() + "tandem-npz-\(UUID().uuidString).npz"
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for (name, data) in members.sorted(by: { $0.key < $1.key }) {
            try archive.addEntry(with: name + ".npy", type: .file, uncompressedSize: Int64(data.count), provider: { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            })
        }
        return path
    }

    static var goodMembers: [String: Data] {
        ["x_train": npy("|u1", [2, 2, 2], [UInt8](repeating: 9, count: 8)), "y_train": npy("|u1", [2], [1, 2]),
         "x_test": npy("|u1", [1, 2, 2], [UInt8](repeating: 3, count: 4)), "y_test": npy("<i8", [1, 1], [4, 0, 0, 0, 0, 0, 0, 0])]
    }

    @Test("Bad archives are refused in one line naming the file and the problem", arguments: [
        ("x_test", nil, "has no x_test array"),
        ("y_train", npy("<f4", [2], [UInt8](repeating: 0, count: 8)), "y_train holds float32; labels must be integers"),
        ("y_train", npy("|u1", [2], [1, 12]), "y_train: label 12.0 at index 1 is out of range 0..<10"),
        ("y_train", npy("|u1", [3], [1, 2, 3]), "y_train has shape [3]; expected (2,) or (2, 1) for 2 images"),
        ("x_train", npy("|u1", [2, 4], [UInt8](repeating: 0, count: 8)), "x_train has shape [2, 4]"),
        ("x_train", npy(">f4", [2, 1, 1], [UInt8](repeating: 0, count: 8)), "element type '>f4' is not supported"),
        ("x_train", npy("|u1", [2, 2, 2], [UInt8](repeating: 0, count: 8), fortran: true), "Fortran-ordered arrays are not supported"),
        ("x_train", npy("|u1", [2, 2, 2], [UInt8](repeating: 0, count: 5)), "truncated: the shape [2, 2, 2] needs 8 values"),
        ("x_train", npy("|u1", [2, 2, 2], [UInt8](repeating: 0, count: 9)), "1 unexpected bytes after the data"),
        ("x_train", Data("not numpy".utf8), "not a NumPy .npy array"),
    ] as [(String, Data?, String)])
    func badArchives(member: String, replacement: Data?, message: String) throws {
        var members = Self.goodMembers
        members[member] = replacement
        let path = try Self.archive(members)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dataset = NumpyArchive(path: path, classCount: 10)
        #expect {
            try dataset.validate()
            _ = try dataset.load(.train)
            _ = try dataset.load(.test)
        } throws: { error in
            "\(error)".hasPrefix(path + ": ") && "\(error)".contains(message) && !"\(error)".contains("\n")
        }
    }

    @Test("A file that is not a zip archive, and a missing file, are refused")
    func notAnArchive() throws {
        let path = NSTemporaryDirectory() + "tandem-not-npz-\(UUID().uuidString).npz"
        try Data("plain text".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: InputFileError(path: path, problem: "not a readable .npz (zip) archive")) {
            try NumpyArchive(path: path, classCount: 10).validate()
        }
        #expect(throws: InputFileError(path: "/nonexistent.npz", problem: "no such file")) {
            try NumpyArchive(path: "/nonexistent.npz", classCount: 10).validate()
        }
    }
}
