import Foundation
import ZIPFoundation
import CTandemZlib

/// A dataset in one NumPy `.npz` archive, as `np.savez(path, x_train=…, y_train=…, x_test=…, y_test=…)`
/// writes it from `keras.datasets.*.load_data()`: images of shape (n, height, width) or (n, height,
/// width, channels), `uint8` (scaled by 1/255 when used, as Keras tutorials do) or `float32`/`float64`
/// (taken as they are); labels of shape (n,) or (n, 1), any integer type. The archive is read through
/// ZIPFoundation (stored or deflated members, CRC-checked); every member is validated before use.
package struct NumpyArchive: ImageDataset {
    package let path: String
    package let classCount: Int

    package init(path: String, classCount: Int) {
        self.path = path
        self.classCount = classCount
    }

    private func fail(_ problem: String) -> InputFileError { InputFileError(path: path, problem: problem) }

    private func archive() throws -> Archive {
        guard FileManager.default.fileExists(atPath: path) else { throw fail("no such file") }
        do {
            return try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw fail("not a readable .npz (zip) archive")
        }
    }

    package func validate() throws {
        let archive = try archive()
        let names = Set(archive.map(\.path))
        for member in ["x_train", "y_train", "x_test", "y_test"] where !names.contains(member + ".npy") {
            throw fail("has no \(member) array (it holds \(names.sorted().joined(separator: ", ")); save it with np.savez(path, x_train=…, y_train=…, x_test=…, y_test=…))")
        }
    }

    /// One member's bytes, decompressed and CRC-checked by ZIPFoundation.
    private func member(_ name: String, in archive: Archive) throws -> [UInt8] {
        guard let entry = archive[name + ".npy"] else { throw fail("has no \(name) array") }
        guard entry.uncompressedSize < 1 << 36 else { throw fail("\(name) is \(entry.uncompressedSize) bytes: too large") }
        // The sizes in a zip header are claims: the compressed data must fit in the file, and deflate
        // expands at most about 1032:1. A larger claim is a damaged header, and must not decide how much
        // memory is reserved.
        let bytesOnDisk = TandemData.fileSize(path), fileSize = bytesOnDisk >= 0 ? UInt64(bytesOnDisk) : .max
        guard UInt64(entry.compressedSize) <= fileSize else {
            throw fail("\(name) claims \(entry.compressedSize) compressed bytes in a file of \(fileSize): the archive is corrupt")
        }
        guard entry.uncompressedSize <= entry.compressedSize * 1032 + 1024 else {
            throw fail("\(name) claims \(entry.uncompressedSize) bytes from \(entry.compressedSize) compressed: the archive is corrupt")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, consumer: { bytes.append(contentsOf: $0) })
        } catch {
            throw fail("\(name) cannot be read: \(error)")
        }
        return bytes
    }

    /// A member stored without compression, mapped from the file: where its bytes begin there, and a
    /// mapping of the whole file. ZIPFoundation reads such a member but does not say where it lies, so
    /// its local header is found by signature and name, and the bytes after it are taken only if their
    /// length and CRC-32 are those of ZIPFoundation's entry. `nil` when the member is compressed or is
    /// not found so (it is then read through ZIPFoundation).
    private func storedMember(_ name: String, entry: Entry) -> (file: ImageBytes, start: Int)? {
        guard !entry.isCompressed, entry.uncompressedSize > 0, entry.uncompressedSize < 1 << 40 else { return nil }
        let length = Int(entry.uncompressedSize), fileLength = fileSize(path)
        guard fileLength > 0, let file = ImageBytes(mapping: path, offset: 0, count: fileLength) else { return nil }
        let memberName = Array((name + ".npy").utf8)
        let signature: [UInt8] = [0x50, 0x4b, 0x03, 0x04]   // "PK\3\4", a local file header
        func littleEndian16(_ offset: Int) -> Int { Int(file.baseAddress[offset]) | Int(file.baseAddress[offset + 1]) << 8 }
        var search = 0
        while search + 30 + memberName.count <= fileLength,
              let found = memchr(file.baseAddress + search, Int32(signature[0]), fileLength - search - 30 - memberName.count) {
            let header = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - file.baseAddress
            search = header + 1
            let nameStart = header + 30
            guard memcmp(file.baseAddress + header, signature, 4) == 0, littleEndian16(header + 26) == memberName.count,
                  memcmp(file.baseAddress + nameStart, memberName, memberName.count) == 0 else { continue }
            let start = nameStart + memberName.count + littleEndian16(header + 28)
            guard start + length <= fileLength else { continue }
            let checksum = crc32_z(0, file.baseAddress + start, length)
            if checksum == UInt(entry.checksum) { return (file, start) }
        }
        return nil
    }

    package func load(_ split: DatasetSplit, keeping: ((Int) -> Range<Int>)? = nil) throws -> LabeledImages {
        let suffix = split == .train ? "train" : "test"
        let archive = try archive()
        let images: NumpyArray, labels: NumpyArray
        // Byte images stored without compression (what np.savez writes) are mapped, not read.
        var mapped: (file: ImageBytes, dataStart: Int)?
        do {
            if let entry = archive["x_" + suffix + ".npy"], let stored = storedMember("x_" + suffix, entry: entry) {
                let beginning = Array(UnsafeBufferPointer(start: stored.file.baseAddress + stored.start,
                                                          count: min(Int(entry.uncompressedSize), NumpyArray.maximumHeaderSize)))
                let header = try NumpyArray.header(beginning, length: Int(entry.uncompressedSize), name: "x_" + suffix)
                if header.type == .uint8 {
                    mapped = (stored.file, stored.start + header.dataStart)
                    images = NumpyArray(type: header.type, shape: header.shape, data: [])
                } else {
                    images = try NumpyArray(bytes: try member("x_" + suffix, in: archive), name: "x_" + suffix)
                }
            } else {
                images = try NumpyArray(bytes: try member("x_" + suffix, in: archive), name: "x_" + suffix)
            }
            labels = try NumpyArray(bytes: try member("y_" + suffix, in: archive), name: "y_" + suffix)
        } catch let error as NumpyError {
            throw fail("\(error)")
        }
        guard [3, 4].contains(images.shape.count), images.shape.dropFirst().allSatisfy({ (1...16_384).contains($0) }) else {
            throw fail("x_\(suffix) has shape \(images.shape); expected (count, height, width) or (count, height, width, channels)")
        }
        guard images.type == .uint8 || images.type.isFloat else {
            throw fail("x_\(suffix) holds \(images.type); images must be uint8, float32 or float64")
        }
        let count = images.shape[0]
        guard labels.count == count, labels.shape.count == 1 || (labels.shape.count == 2 && labels.shape[1] == 1) else {
            throw fail("y_\(suffix) has shape \(labels.shape); expected (\(count),) or (\(count), 1) for \(count) images")
        }
        guard !labels.type.isFloat else { throw fail("y_\(suffix) holds \(labels.type); labels must be integers") }
        let (rows, columns, channels) = (images.shape[1], images.shape[2], images.shape.count == 4 ? images.shape[3] : 1)
        let kept = (keeping?(count) ?? 0..<count).clamped(to: 0..<count)
        let size = rows * columns * channels
        var labelBytes = [UInt8](repeating: 0, count: kept.count)
        for (index, sample) in kept.enumerated() {
            let label = labels.value(at: sample)
            guard label >= 0, label < Double(min(classCount, 256)) else {
                throw fail("y_\(suffix): label \(label) at index \(sample) is out of range 0..<\(classCount)")
            }
            labelBytes[index] = UInt8(label)
        }
        if let mapped {
            let bytes = kept.isEmpty ? ImageBytes(copying: [])
                : ImageBytes(mapping: path, offset: mapped.dataStart + kept.lowerBound * size, count: kept.count * size)
            guard let bytes else { throw fail("x_\(suffix) cannot be mapped: \(String(cString: strerror(errno)))") }
            return LabeledImages(rows: rows, columns: columns, channels: channels, bytes: bytes, labels: labelBytes,
                                 firstIndex: kept.lowerBound, fileCount: count, path: path)
        }
        let values = images.data.dropFirst(kept.lowerBound * size * images.type.size).prefix(kept.count * size * images.type.size)
        switch images.type {
        case .uint8:
            return LabeledImages(rows: rows, columns: columns, channels: channels, pixels: Array(values), labels: labelBytes,
                                 firstIndex: kept.lowerBound, fileCount: count, path: path)
        default:
            var floats = [Float](repeating: 0, count: kept.count * size)
            for index in 0..<floats.count {
                let value = Float(images.value(at: kept.lowerBound * size + index))
                guard value.isFinite else { throw fail("x_\(suffix) holds a non-finite value at element \(kept.lowerBound * size + index)") }
                floats[index] = value
            }
            return LabeledImages(rows: rows, columns: columns, channels: channels, pixels: [], floatPixels: floats,
                                 labels: labelBytes, firstIndex: kept.lowerBound, fileCount: count, path: path)
        }
    }
}
