import Foundation
import Testing
import TandemData

/// Well-formed IDX files, plain and gzip-compressed, read back byte for byte.
struct IDXReaderTests {
    @Test("An idx3 image file reads back exactly: count, size and every pixel", arguments: Compression.allCases)
    func readsImages(compression: Compression) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/images"
            try write(SampleData.imageFile, to: path, as: compression)
            let images = try IDXReader.readImages(path: path)
            #expect(images.count == SampleData.count)
            #expect(images.rows == SampleData.rows)
            #expect(images.columns == SampleData.columns)
            #expect(images.kept == 0..<SampleData.count)
            #expect(Array(images.pixels) == SampleData.pixels)
            #expect(images.pixels.isMapped == (compression == .raw), "a plain file is mapped (shared), a gzip one read")
        }
    }

    @Test("An idx1 label file reads back exactly", arguments: Compression.allCases)
    func readsLabels(compression: Compression) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/labels"
            try write(SampleData.labelFile, to: path, as: compression)
            #expect(try IDXReader.readLabels(path: path, classCount: 10) == SampleData.labels)
        }
    }

    /// The largest label allowed is `classCount − 1`; the bound must not be off by one.
    @Test("A label of classCount − 1 is accepted")
    func acceptsLargestLabel() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/labels"
            try write(idxFile(dimensions: [2], data: [0, 9]), to: path)
            #expect(try IDXReader.readLabels(path: path, classCount: 10) == [0, 9])
        }
    }

    /// A rank reads only its shard: the closure sees the file's image count, and exactly the images of
    /// the range it returns are kept (clipped to the file), while the rest are still read and checked.
    @Test("keeping: keeps exactly the chosen images and is given the file's count",
          arguments: Compression.allCases, [0..<5, 1..<3, 0..<1, 4..<5, 2..<2, 3..<100])
    func keepsSubrange(compression: Compression, range: Range<Int>) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/images"
            try write(SampleData.imageFile, to: path, as: compression)
            nonisolated(unsafe) var countSeen: Int?
            let images = try IDXReader.readImages(path: path, keeping: { count in
                countSeen = count
                return range
            })
            let expected = range.clamped(to: 0..<SampleData.count)
            #expect(countSeen == SampleData.count)
            #expect(images.count == SampleData.count, "count is the file's, not the kept one")
            #expect(images.kept == expected)
            #expect(Array(images.pixels) == SampleData.pixels(of: expected))
            #expect(images.pixels.isMapped == (compression == .raw && !expected.isEmpty))
        }
    }

    /// Training feeds the network pixel / 255, so bytes 0 and 255 must become exactly 0 and (nearly) 1.
    @Test("writeImage writes image i's pixels scaled by 1/255")
    func writeImageScales() throws {
        try withTemporaryDirectory { directory in
            try writeDatasetDirectory(at: directory, compression: .raw)
            let set = try DatasetDirectory(path: directory).load(.train)
            var floats = [Float](repeating: .nan, count: set.imageSize)
            for index in 0..<set.count {
                floats.withUnsafeMutableBufferPointer { set.writeImage(index, to: $0.baseAddress!) }
                let bytes = SampleData.pixels(of: index..<index + 1)
                for (float, byte) in zip(floats, bytes) {
                    #expect(abs(float - Float(byte) / 255) <= 1e-6, "image \(index): byte \(byte) became \(float)")
                }
            }
            // The extremes, on a one-image set holding them.
            let extremes = LabeledImages(rows: 1, columns: 3, pixels: [0, 255, 51], labels: [0], firstIndex: 0,
                                         fileCount: 1, path: "extremes")
            var three = [Float](repeating: .nan, count: 3)
            three.withUnsafeMutableBufferPointer { extremes.writeImage(0, to: $0.baseAddress!) }
            #expect(three[0] == 0)
            #expect(abs(three[1] - 1) <= 1e-6)
            #expect(abs(three[2] - 0.2) <= 1e-6)
        }
    }
}

/// Damaged or wrong files: each must be refused with an `InputFileError` naming the file and saying
/// what is wrong, never read as data or crash.
struct IDXReaderErrorTests {
    /// Writes `bytes` to a fresh file and expects reading it as images (or labels) to fail as described.
    func expectImageFileRefused(_ bytes: [UInt8], as compression: Compression = .raw, mentioning words: [String],
                                keeping: ((Int) -> Range<Int>)? = nil,
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/images"
            try write(bytes, to: path, as: compression)
            expectInputFileError(path: path, mentioning: words, sourceLocation: sourceLocation) {
                _ = try IDXReader.readImages(path: path, keeping: keeping)
            }
        }
    }

    func expectLabelFileRefused(_ bytes: [UInt8], as compression: Compression = .raw, mentioning words: [String],
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/labels"
            try write(bytes, to: path, as: compression)
            expectInputFileError(path: path, mentioning: words, sourceLocation: sourceLocation) {
                _ = try IDXReader.readLabels(path: path, classCount: 10)
            }
        }
    }

    @Test("A bad magic number (first two bytes not zero) is refused", arguments: Compression.allCases)
    func badMagicNumber(compression: Compression) throws {
        var bytes = SampleData.imageFile
        bytes[1] = 0x01
        try expectImageFileRefused(bytes, as: compression, mentioning: ["magic", "0x00010803"])
    }

    @Test("An element type other than unsigned bytes (0x08) is refused")
    func wrongElementType() throws {
        // 0x0D is float, which the IDX format allows but the datasets never use.
        try expectImageFileRefused(idxFile(elementType: 0x0D, dimensions: [5, 3, 4], data: SampleData.pixels),
                                   mentioning: ["element type", "0x0d"])
        try expectLabelFileRefused(idxFile(elementType: 0x09, dimensions: [5], data: SampleData.labels),
                                   mentioning: ["element type", "0x09"])
    }

    @Test("A label file (idx1) read as images is refused for its number of dimensions")
    func labelFileAsImages() throws {
        try expectImageFileRefused(SampleData.labelFile, mentioning: ["1 dimension", "image file", "3"])
    }

    @Test("An image file (idx3) read as labels is refused for its number of dimensions")
    func imageFileAsLabels() throws {
        try expectLabelFileRefused(SampleData.imageFile, mentioning: ["3 dimensions", "a label file", "1"])
    }

    @Test("A file cut inside the header is refused as truncated or too short")
    func truncatedHeader() throws {
        // Magic number complete, cut after the first dimension.
        try expectImageFileRefused(Array(SampleData.imageFile.prefix(8)), mentioning: ["truncated", "header"])
        // Cut inside the second dimension.
        try expectImageFileRefused(Array(SampleData.imageFile.prefix(10)), mentioning: ["truncated", "header"])
        // Cut inside the label count.
        try expectLabelFileRefused(Array(SampleData.labelFile.prefix(6)), mentioning: ["truncated", "header"])
        // Not even a whole magic number, and an empty file.
        try expectImageFileRefused([0, 0], mentioning: ["too short", "2 bytes"])
        try expectLabelFileRefused([], mentioning: ["too short", "0 bytes"])
    }

    /// The message gives how much data there was against how much the header announced, whether the
    /// reader was keeping everything or only a shard that lies before the cut.
    @Test("A file whose data stops before the header's count is refused as truncated", arguments: Compression.allCases)
    func truncatedData(compression: Compression) throws {
        let headerSize = 16
        let cut = Array(SampleData.imageFile.prefix(headerSize + 40))
        try expectImageFileRefused(cut, as: compression, mentioning: ["truncated", "40 of 60"])
        try expectImageFileRefused(cut, as: compression, mentioning: ["truncated", "40 of 60"], keeping: { _ in 0..<2 })
        try expectImageFileRefused(cut, as: compression, mentioning: ["truncated", "40 of 60"], keeping: { _ in 4..<5 })
        try expectLabelFileRefused(Array(SampleData.labelFile.prefix(8 + 3)), as: compression,
                                   mentioning: ["truncated", "3 of 5"])
    }

    /// Image files of two sizes: the sample, which zlib decompresses through its internal buffer, and
    /// 1,000 images of 32×32 (1 MB, incompressible), whose data zlib inflates straight into the
    /// reader's buffer. The two paths meet the end of a damaged stream differently.
    static let gzipCases: [(name: String, file: [UInt8])] = [
        ("small", SampleData.imageFile),
        ("large", idxFile(dimensions: [1000, 32, 32], data: pseudoRandomBytes(count: 1000 * 32 * 32))),
    ]

    /// A download cut short leaves a gzip stream without its end; that must not pass as a short file
    /// of zeros or as a complete one, whether the whole file or only a shard is being kept.
    @Test("A gzip stream cut in the middle is refused as truncated", arguments: gzipCases.indices)
    func truncatedGzipStream(caseIndex: Int) throws {
        try withTemporaryDirectory { directory in
            let compressed = try gzipCompressed(Self.gzipCases[caseIndex].file, scratchDirectory: directory)
            for length in [compressed.count / 2, compressed.count * 3 / 4] {
                let path = directory + "/images-\(length).gz"
                try write(Array(compressed.prefix(length)), to: path)
                expectInputFileError(path: path, mentioning: ["truncated"]) { _ = try IDXReader.readImages(path: path) }
                expectInputFileError(path: path, mentioning: ["truncated"]) {
                    _ = try IDXReader.readImages(path: path, keeping: { _ in 0..<1 })
                }
            }
        }
    }

    /// The 8-byte gzip trailer (CRC-32 and length) is what proves the data intact; a small file cut
    /// inside it must not pass.
    @Test("A small gzip file cut inside its trailer is refused as truncated")
    func truncatedGzipTrailer() throws {
        try withTemporaryDirectory { directory in
            let compressed = try gzipCompressed(SampleData.imageFile, scratchDirectory: directory)
            for missing in [8, 4, 1] {
                let path = directory + "/images-\(missing).gz"
                try write(Array(compressed.dropLast(missing)), to: path)
                expectInputFileError(path: path, mentioning: ["truncated"]) { _ = try IDXReader.readImages(path: path) }
            }
        }
    }

    /// A large file cut inside its 8-byte trailer: the data itself is complete, so only a reader that
    /// knows where the gzip stream ends (inflate, not gzread) sees that the CRC is missing.
    @Test("A large gzip file cut inside its trailer is refused as truncated", arguments: [8, 4, 1])
    func truncatedLargeGzipTrailer(missing: Int) throws {
        try withTemporaryDirectory { directory in
            let compressed = try gzipCompressed(Self.gzipCases[1].file, scratchDirectory: directory)
            let path = directory + "/images.gz"
            try write(Array(compressed.dropLast(missing)), to: path)
            expectInputFileError(path: path, mentioning: ["truncated"]) { _ = try IDXReader.readImages(path: path) }
        }
    }

    /// zlib's gzread silently ignores what follows a complete gzip stream; Tandem refuses it.
    @Test("Bytes after a complete gzip stream are refused")
    func garbageAfterGzipStream() throws {
        try withTemporaryDirectory { directory in
            let compressed = try gzipCompressed(SampleData.imageFile, scratchDirectory: directory)
            let path = directory + "/images.gz"
            try write(compressed + Array("not gzip".utf8), to: path)
            expectInputFileError(path: path, mentioning: ["unexpected bytes after the gzip data"]) { _ = try IDXReader.readImages(path: path) }
        }
    }

    /// The gzip trailer holds a CRC of the data; a changed bit in it (or in the data) must be caught.
    @Test("A gzip file whose checksum does not match is refused as corrupt", arguments: gzipCases.indices)
    func corruptGzipChecksum(caseIndex: Int) throws {
        try withTemporaryDirectory { directory in
            var compressed = try gzipCompressed(Self.gzipCases[caseIndex].file, scratchDirectory: directory)
            compressed[compressed.count - 8] ^= 0xFF   // first byte of the CRC-32
            let path = directory + "/images.gz"
            try write(compressed, to: path)
            expectInputFileError(path: path, mentioning: ["corrupt", "gzip", "check"]) {
                _ = try IDXReader.readImages(path: path)
            }
        }
    }

    /// After a complete member zlib starts decoding whatever gzip member follows, so a damaged second
    /// member only shows once the IDX data has been read: the end-of-data check must still look.
    @Test("A damaged gzip member after the complete file is refused as corrupt")
    func corruptSecondGzipMember() throws {
        try withTemporaryDirectory { directory in
            let compressed = try gzipCompressed(SampleData.labelFile, scratchDirectory: directory)
            let damagedMember: [UInt8] = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03] + Array(repeating: 0xFF, count: 32)
            let path = directory + "/labels.gz"
            try write(compressed + damagedMember, to: path)
            expectInputFileError(path: path, mentioning: ["corrupt", "gzip"]) {
                _ = try IDXReader.readLabels(path: path, classCount: 10)
            }
        }
    }

    @Test("Bytes after the data the header announces are refused", arguments: Compression.allCases)
    func trailingGarbage(compression: Compression) throws {
        try expectImageFileRefused(SampleData.imageFile + [1, 2, 3], as: compression, mentioning: ["3 unexpected bytes"])
        try expectImageFileRefused(SampleData.imageFile + [0], as: compression, mentioning: ["1 unexpected byte"],
                                   keeping: { _ in 1..<2 })
        try expectLabelFileRefused(SampleData.labelFile + Array(repeating: 7, count: 5000), as: compression,
                                   mentioning: ["5000 unexpected bytes"])
    }

    @Test("A label equal to classCount is refused, naming the label and its index", arguments: Compression.allCases)
    func labelOutOfRange(compression: Compression) throws {
        try expectLabelFileRefused(idxFile(dimensions: [5], data: [3, 0, 9, 10, 7]), as: compression,
                                   mentioning: ["label 10", "index 3", "out of range", "0..<10"])
        try expectLabelFileRefused(idxFile(dimensions: [2], data: [0, 255]), mentioning: ["label 255", "index 1"])
    }

    @Test("A zero dimension (no images, no rows, no columns, no labels) is refused")
    func zeroDimension() throws {
        try expectImageFileRefused(idxFile(dimensions: [0, 3, 4], data: []), mentioning: ["dimension 1", ": 0"])
        try expectImageFileRefused(idxFile(dimensions: [5, 0, 4], data: []), mentioning: ["dimension 2", ": 0"])
        try expectImageFileRefused(idxFile(dimensions: [5, 3, 0], data: []), mentioning: ["dimension 3", ": 0"])
        try expectLabelFileRefused(idxFile(dimensions: [0], data: []), mentioning: ["dimension 1", ": 0"])
    }

    @Test("A missing file is refused with the system's reason")
    func missingFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/no-such-file.gz"
            expectInputFileError(path: path, mentioning: ["no such file"]) { _ = try IDXReader.readImages(path: path) }
            expectInputFileError(path: path, mentioning: ["no such file"]) {
                _ = try IDXReader.readLabels(path: path, classCount: 10)
            }
        }
    }

    /// zlib passes files that are not gzip through unchanged, so text must be caught by the IDX checks.
    @Test("A text file (neither gzip nor IDX) is refused as not an IDX file")
    func textFile() throws {
        let text = Array("<html><body>404 Not Found</body></html>\n".utf8)
        try expectImageFileRefused(text, mentioning: ["bad magic number", "not an IDX file"])
        try expectLabelFileRefused(text, mentioning: ["bad magic number", "not an IDX file"])
    }

    /// Starts like gzip (1f 8b, deflate) but the rest is not a deflate stream.
    @Test("A file with a gzip header and garbage after it is refused as corrupt")
    func garbageAfterGzipHeader() throws {
        let bytes: [UInt8] = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03] + Array(repeating: 0xFF, count: 64)
        try expectImageFileRefused(bytes, mentioning: ["gzip"])
    }
}
