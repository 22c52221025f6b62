import Foundation

/// Labelled images, height × width × channels each (HWC), kept as the file had them: bytes (60,000
/// Fashion-MNIST images are 47 MB this way, four times less than as floats), scaled by 1/255 when a
/// sample is used, as the tutorial does; or floats, taken as they are.
package struct LabeledImages: Sendable {
    package let rows: Int
    package let columns: Int
    package let channels: Int
    /// Byte images (empty when the images are floats): mapped from the file where it holds them
    /// uncompressed (shared by the processes of a host), else a private copy.
    package let pixels: ImageBytes
    /// Float images (empty when the images are bytes).
    package let floatPixels: [Float]
    package let labels: [UInt8]
    /// Index in the file of the first image held (a rank's shard of the test set starts later than 0).
    package let firstIndex: Int
    /// How many images the file holds (more than `count` when only a part was kept).
    package let fileCount: Int
    /// The image file, for messages.
    package let path: String
    /// Where sample `i`'s image lies in `pixels`, for a set that is a reordered part of its file (the
    /// training or validation files of a folder of pictures); `nil`: sample `i` is image `i`.
    package let positions: [Int32]?

    package init(rows: Int, columns: Int, channels: Int = 1, pixels: [UInt8], floatPixels: [Float] = [], labels: [UInt8],
                 firstIndex: Int = 0, fileCount: Int? = nil, path: String) {
        self.init(rows: rows, columns: columns, channels: channels, bytes: ImageBytes(copying: pixels), floatPixels: floatPixels,
                  labels: labels, firstIndex: firstIndex, fileCount: fileCount, path: path)
    }

    package init(rows: Int, columns: Int, channels: Int = 1, bytes pixels: ImageBytes, floatPixels: [Float] = [], labels: [UInt8],
                 firstIndex: Int = 0, fileCount: Int? = nil, path: String, positions: [Int32]? = nil) {
        precondition(positions.map { $0.count == labels.count && pixels.count % (rows * columns * channels) == 0 }
                     ?? ((pixels.isEmpty ? floatPixels.count : pixels.count) == labels.count * rows * columns * channels),
                     "pixels must hold labels.count images")
        self.positions = positions
        self.rows = rows
        self.columns = columns
        self.channels = channels
        self.pixels = pixels
        self.floatPixels = floatPixels
        self.labels = labels
        self.firstIndex = firstIndex
        self.fileCount = fileCount ?? labels.count
        self.path = path
    }

    package var count: Int { labels.count }

    /// The same images as part of a set that starts `firstIndex` images in and holds `fileCount`.
    package func renumbered(firstIndex: Int, fileCount: Int) -> LabeledImages {
        var images = LabeledImages(rows: rows, columns: columns, channels: channels, bytes: pixels, floatPixels: floatPixels,
                                   labels: labels, firstIndex: firstIndex, fileCount: fileCount, path: path, positions: positions)
        images.byteScale = byteScale
        return images
    }
    package var imageSize: Int { rows * columns * channels }
    /// `28x28x1`.
    package var shapeDescription: String { "\(rows)x\(columns)x\(channels)" }

    /// What a byte is multiplied by (`Model.byteScale`: 1/255, or 1 for a model that rescales its
    /// own input); float images are taken as they are.
    package private(set) var byteScale: Float = 1 / 255

    /// The same images, their bytes multiplied by `scale`.
    package func withByteScale(_ scale: Float) -> LabeledImages {
        var images = self
        images.byteScale = scale
        return images
    }

    /// Writes image `index` (counted within this set) as floats: bytes times `byteScale`, floats as they are.
    @inline(__always)
    package func writeImage(_ index: Int, to destination: UnsafeMutablePointer<Float>) {
        if pixels.isEmpty {
            floatPixels.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + index * imageSize, count: imageSize) }
            return
        }
        let scale = byteScale
        let source = pixels.baseAddress + Int(positions?[index] ?? Int32(index)) * imageSize
        for pixel in 0..<imageSize { destination[pixel] = Float(source[pixel]) * scale }
    }
}

/// Where training and test images come from: a directory of IDX files or a NumPy `.npz` archive.
package protocol ImageDataset: Sendable {
    var path: String { get }
    /// Checks the dataset is there and complete enough to start reading, without reading it all.
    func validate() throws
    /// Loads a split, keeping the images `keeping` picks given the split's image count (all if `nil`).
    func load(_ split: DatasetSplit, keeping: ((Int) -> Range<Int>)?) throws -> LabeledImages
    /// What `load(.test, …)` gives: the test set, or held-out training data.
    var evaluationSet: EvaluationSet { get }
}

extension ImageDataset {
    package var evaluationSet: EvaluationSet { .test }
}

/// What a run evaluates on each epoch: the dataset's test set, or part of its training data held out
/// (`--validation-split`), whose metrics Keras calls `val_loss` and `val_accuracy`.
package enum EvaluationSet: String, Codable, Sendable {
    /// The raw value names the set in reports: `test`, `validation`.
    case test, validation
    /// The prefix of the metrics' names, as Keras's history has them.
    package var metricPrefix: String { self == .test ? "test" : "val" }
}

package enum DatasetSplit: String, Sendable {
    case train
    case test = "t10k"
}

/// The dataset at `path`: a `.npz` file, or a directory of IDX files. Labels must be below `classCount`.
package func openDataset(_ path: String, classCount: Int) -> any ImageDataset {
    path.hasSuffix(".npz") ? NumpyArchive(path: path, classCount: classCount) : DatasetDirectory(path: path, classCount: classCount)
}

/// The four IDX files of an MNIST-layout dataset in one directory, `.gz` or plain.
package struct DatasetDirectory: ImageDataset {
    /// Debian's `dataset-fashion-mnist` package installs here.
    package static let defaultPath = "/usr/share/datasets/fashion-mnist"

    package typealias Split = DatasetSplit

    package let path: String
    package let classCount: Int

    package init(path: String, classCount: Int = 10) {
        self.path = path
        self.classCount = classCount
    }

    /// Checks the directory exists and holds all four files, without reading them.
    package func validate() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputFileError(path: path, problem: "data directory does not exist"
                + (path == Self.defaultPath ? " (install Debian's dataset-fashion-mnist, or pass --data DIR)" : ""))
        }
        guard isDirectory.boolValue else { throw InputFileError(path: path, problem: "is not a directory") }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        guard entries.contains(where: { $0.hasPrefix("train-") || $0.hasPrefix("t10k-") }) else {
            throw InputFileError(path: path, problem: "holds neither IDX files (train-images-idx3-ubyte[.gz], …) nor class folders of pictures")
        }
        for split in [Split.train, .test] {
            _ = try file(split, "images-idx3-ubyte")
            _ = try file(split, "labels-idx1-ubyte")
        }
    }

    /// The path of `{split}-{kind}`, preferring the `.gz` file.
    func file(_ split: Split, _ kind: String) throws -> String {
        let base = "\(path)/\(split.rawValue)-\(kind)"
        for candidate in [base + ".gz", base] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw InputFileError(path: path, problem: "missing \(split.rawValue)-\(kind).gz (or uncompressed \(split.rawValue)-\(kind))")
    }

    /// Loads a split, keeping the images `keeping` picks given the file's image count (all if `nil`;
    /// a range past the end is clipped).
    package func load(_ split: Split, keeping: ((Int) -> Range<Int>)? = nil) throws -> LabeledImages {
        let imagePath = try file(split, "images-idx3-ubyte")
        let labelPath = try file(split, "labels-idx1-ubyte")
        let images = try IDXReader.readImages(path: imagePath, keeping: keeping)
        let labels = try IDXReader.readLabels(path: labelPath, classCount: classCount)
        guard labels.count == images.count else {
            throw InputFileError(path: labelPath, problem: "has \(labels.count) labels but \(imagePath) has \(images.count) images")
        }
        return LabeledImages(rows: images.rows, columns: images.columns, channels: images.channels, bytes: images.pixels,
                             labels: Array(labels[images.kept]), firstIndex: images.kept.lowerBound,
                             fileCount: images.count, path: imagePath)
    }
}

/// Fashion-MNIST's classes, by label.
package enum FashionMNIST {
    package static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
}
