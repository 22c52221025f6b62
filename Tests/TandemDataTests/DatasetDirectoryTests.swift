import Foundation
import Testing
import TandemData

/// Finding and loading the four files of an MNIST-layout directory.
struct DatasetDirectoryTests {
    @Test("load(.train) and load(.test) read their own files, .gz or plain", arguments: Compression.allCases)
    func loadsBothSplits(compression: Compression) throws {
        try withTemporaryDirectory { directory in
            // The test split differs from the train split, so reading the wrong file would show.
            let testPixels = SampleData.pixels.reversed().prefix(2 * SampleData.imageSize)
            let testFiles = (idxFile(dimensions: [2, 3, 4], data: Array(testPixels)), idxFile(dimensions: [2], data: [8, 2]))
            try writeDatasetDirectory(at: directory, compression: compression, test: testFiles)
            let dataset = DatasetDirectory(path: directory)
            try dataset.validate()

            let train = try dataset.load(.train)
            #expect(train.rows == 3 && train.columns == 4 && train.imageSize == 12)
            #expect(train.count == 5 && train.fileCount == 5 && train.firstIndex == 0)
            #expect(Array(train.pixels) == SampleData.pixels)
            #expect(train.labels == SampleData.labels)
            #expect(train.path == "\(directory)/train-images-idx3-ubyte\(compression.suffix)")

            let test = try dataset.load(.test)
            #expect(test.count == 2 && test.fileCount == 2)
            #expect(Array(test.pixels) == Array(testPixels))
            #expect(test.labels == [8, 2])
            #expect(test.path == "\(directory)/t10k-images-idx3-ubyte\(compression.suffix)")
        }
    }

    /// A shard's labels must be the labels of the images it kept, with the position in the file recorded.
    @Test("load(keeping:) keeps matching images and labels and records where they start", arguments: Compression.allCases)
    func loadsShard(compression: Compression) throws {
        try withTemporaryDirectory { directory in
            try writeDatasetDirectory(at: directory, compression: compression)
            nonisolated(unsafe) var countSeen: Int?
            let shard = try DatasetDirectory(path: directory).load(.test, keeping: { count in
                countSeen = count
                return 2..<4
            })
            #expect(countSeen == 5)
            #expect(shard.count == 2 && shard.firstIndex == 2 && shard.fileCount == 5)
            #expect(Array(shard.pixels) == SampleData.pixels(of: 2..<4))
            #expect(shard.labels == Array(SampleData.labels[2..<4]))
        }
    }

    @Test("The .gz file is preferred when both it and the plain file are present")
    func prefersGzip() throws {
        try withTemporaryDirectory { directory in
            try writeDatasetDirectory(at: directory, compression: .gzip)
            // Plain files that would fail if read: label 10 is out of range.
            try writeDatasetDirectory(at: directory, compression: .raw,
                                      train: (SampleData.imageFile, idxFile(dimensions: [5], data: [10, 10, 10, 10, 10])))
            let train = try DatasetDirectory(path: directory).load(.train)
            #expect(train.labels == SampleData.labels)
            #expect(train.path.hasSuffix(".gz"))
        }
    }

    /// The whole set must come from one source; mismatched files would pair images with wrong labels.
    @Test("Image and label counts that differ are refused, naming the label file and both counts")
    func countMismatch() throws {
        try withTemporaryDirectory { directory in
            let labelPath = directory + "/train-labels-idx1-ubyte.gz"
            let imagePath = directory + "/train-images-idx3-ubyte.gz"
            // More labels than images: every kept index is in range, so only the count check stops it.
            try writeDatasetDirectory(at: directory, compression: .gzip,
                                      train: (SampleData.imageFile, idxFile(dimensions: [6], data: [1, 2, 3, 4, 5, 6])))
            expectInputFileError(path: labelPath, mentioning: ["6 labels", "5 images", imagePath]) {
                _ = try DatasetDirectory(path: directory).load(.train)
            }
            // Fewer labels than images, also when only a shard that both files cover is kept.
            try write(idxFile(dimensions: [4], data: [1, 2, 3, 4]), to: labelPath, as: .gzip)
            expectInputFileError(path: labelPath, mentioning: ["4 labels", "5 images", imagePath]) {
                _ = try DatasetDirectory(path: directory).load(.train)
            }
            expectInputFileError(path: labelPath, mentioning: ["4 labels", "5 images"]) {
                _ = try DatasetDirectory(path: directory).load(.train, keeping: { _ in 0..<2 })
            }
            // The test split is intact and still loads.
            #expect(try DatasetDirectory(path: directory).load(.test).count == 5)
        }
    }

    @Test("classCount bounds the labels that load accepts")
    func classCountApplies() throws {
        try withTemporaryDirectory { directory in
            try writeDatasetDirectory(at: directory, compression: .raw)
            // The sample has label 9.
            expectInputFileError(path: directory + "/train-labels-idx1-ubyte", mentioning: ["label 9", "0..<9"]) {
                _ = try DatasetDirectory(path: directory, classCount: 9).load(.train)
            }
        }
    }

    @Test("A bad file inside the directory is reported by its own path")
    func badFileNamed() throws {
        try withTemporaryDirectory { directory in
            var damaged = SampleData.imageFile
            damaged[0] = 0x50
            try writeDatasetDirectory(at: directory, compression: .raw, test: (damaged, SampleData.labelFile))
            expectInputFileError(path: directory + "/t10k-images-idx3-ubyte", mentioning: ["magic"]) {
                _ = try DatasetDirectory(path: directory).load(.test)
            }
        }
    }
}

/// `validate()` runs before any training so that a wrong `--data` fails at once, with a clear message.
struct DatasetDirectoryValidationTests {
    @Test("A directory that does not exist is refused")
    func missingDirectory() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/absent"
            expectInputFileError(path: path, mentioning: ["does not exist"]) { try DatasetDirectory(path: path).validate() }
            // Only the default path suggests installing the Debian package.
            let error = #expect(throws: InputFileError.self) { try DatasetDirectory(path: path).validate() }
            #expect(error?.problem.contains("dataset-fashion-mnist") == false)
        }
    }

    @Test("A path that is a file, not a directory, is refused")
    func fileInsteadOfDirectory() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/train-images-idx3-ubyte.gz"
            try write(SampleData.imageFile, to: path, as: .gzip)
            expectInputFileError(path: path, mentioning: ["not a directory"]) { try DatasetDirectory(path: path).validate() }
        }
    }

    /// Each of the four files in turn is left out; the error names the directory and the missing file.
    @Test("A directory missing one of the four files is refused, naming that file",
          arguments: ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
    func missingFile(name: String) throws {
        try withTemporaryDirectory { directory in
            try writeDatasetDirectory(at: directory, compression: .gzip)
            try FileManager.default.removeItem(atPath: "\(directory)/\(name).gz")
            expectInputFileError(path: directory, mentioning: ["missing", name]) { try DatasetDirectory(path: directory).validate() }
            expectInputFileError(path: directory, mentioning: ["missing", name]) {
                _ = try DatasetDirectory(path: directory).load(name.hasPrefix("train") ? .train : .test)
            }
        }
    }

    @Test("An empty directory is refused as holding neither IDX files nor class folders")
    func emptyDirectory() throws {
        try withTemporaryDirectory { directory in
            expectInputFileError(path: directory, mentioning: ["neither", "train-images-idx3-ubyte", "class folders"]) {
                try DatasetDirectory(path: directory).validate()
            }
        }
    }

    @Test("A directory holding all four files validates, .gz, plain or mixed")
    func completeDirectory() throws {
        try withTemporaryDirectory { directory in
            try writeDatasetDirectory(at: directory, compression: .raw)
            try DatasetDirectory(path: directory).validate()
            try FileManager.default.removeItem(atPath: directory + "/t10k-labels-idx1-ubyte")
            try write(SampleData.labelFile, to: directory + "/t10k-labels-idx1-ubyte.gz", as: .gzip)
            try DatasetDirectory(path: directory).validate()
            #expect(try DatasetDirectory(path: directory).load(.test).labels == SampleData.labels)
        }
    }
}
