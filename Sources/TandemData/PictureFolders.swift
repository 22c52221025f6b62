import CTandemZlib
import Foundation

/// Pictures kept as files in one folder per class, read as Keras's `image_dataset_from_directory` reads
/// them: classes are the sub-folders' names in sorted order (hidden ones skipped) or `classes` in the
/// order given; each class folder is walked recursively, folders in sorted path order and files in
/// sorted order, keeping `.png`, `.jpg`, `.jpeg`, `.bmp` and `.gif` (any case). Either `DIR/train/<class>/…` and
/// `DIR/test/<class>/…`, or one tree of class folders of which `validationSplit` is held out for
/// evaluation: the file list shuffled as NumPy's `RandomState(seed).shuffle` does (Keras's `seed`),
/// then the last `Int(split · n)` files, as Keras's `subset="validation"`.
///
/// Each picture is decoded once, converted to grey, RGB or RGBA, resized to the model's input and
/// rounded to a byte, into a cache file beside the class folders (or under `cacheDirectory`): later
/// runs, and every rank of a host, map it. The cache is keyed by every file's name, size and
/// modification time and the decoding settings, checked by a CRC-32 of its contents, and written to a
/// temporary file then renamed, so no reader ever sees half of one; a stale or damaged cache is rebuilt.
package struct PictureFolders: ImageDataset {
    package let path: String
    /// How each picture becomes an input.
    package let settings: PictureSettings
    package var height: Int { settings.height }
    package var width: Int { settings.width }
    /// 1 (grey), 3 (RGB) or 4 (RGBA).
    package var channels: Int { settings.channels }
    /// The model's classes, which must be the number of class folders.
    package let classCount: Int
    /// The fraction held out for evaluation from a single tree.
    package let validationSplit: Double?
    /// Keras's `seed` for that split.
    package let seed: UInt32
    /// Class folders to use, in label order; nil: every (non-hidden) sub-folder, sorted.
    package let chosenClasses: [String]?
    /// Where caches go instead of beside the pictures (for read-only data folders).
    package let cacheDirectory: String?
    /// Whether pictures that cannot be read are left out (and counted) rather than ending the run.
    package let skipsUnreadablePictures: Bool

    /// The caches found intact so far, so each is read through for its CRC once per process, not at every load.
    private let checkedCaches = CheckedCaches()

    /// Keras's formats.
    package static let extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif"]

    package init(path: String, height: Int, width: Int, channels: Int, classCount: Int, validationSplit: Double? = nil,
                 seed: UInt32 = 0, classes: [String]? = nil, cacheDirectory: String? = nil,
                 interpolation: PictureSettings.Interpolation = .bilinear, aspectRatio: PictureSettings.AspectRatio = .stretch,
                 skipsUnreadablePictures: Bool = false) {
        self.path = path
        self.skipsUnreadablePictures = skipsUnreadablePictures
        settings = PictureSettings(height: height, width: width, channels: channels, interpolation: interpolation, aspectRatio: aspectRatio)
        self.classCount = classCount
        self.validationSplit = validationSplit
        self.seed = seed
        chosenClasses = classes
        self.cacheDirectory = cacheDirectory
    }

    /// Whether `path` is a folder of class folders rather than a folder of IDX files: a directory with
    /// sub-directories and no `train-images-idx3-ubyte[.gz]`.
    package static func holdsPictureFolders(_ path: String) -> Bool {
        guard isDirectory(path), let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return false }
        if entries.contains(where: { $0.hasPrefix("train-images-idx3-ubyte") }) { return false }
        return entries.contains { !$0.hasPrefix(".") && isDirectory(path + "/" + $0) }
    }

    // MARK: The file lists

    /// One tree of class folders, in Keras's (unshuffled) order.
    package struct Tree: Sendable {
        package let root: String
        package let classes: [String]
        /// Paths relative to `root`, `class/…/file.png`.
        package let files: [String]
        package let labels: [UInt8]
    }

    /// Where the training and evaluation pictures are: `train/` and `test/`, or one tree to split.
    package var isSplitByFolders: Bool {
        Self.isDirectory(path + "/train") && Self.isDirectory(path + "/test")
    }

    package var evaluationSet: EvaluationSet { isSplitByFolders ? .test : .validation }

    /// The trees this dataset reads: `[train, test]`, or `[tree]`.
    package func trees() throws -> [Tree] {
        if isSplitByFolders {
            guard validationSplit == nil else {
                throw InputFileError(path: path, problem: "holds train/ and test/ folders; --validation-split is for one tree of class folders")
            }
            let training = try tree(path + "/train", classes: chosenClasses)
            let test = try tree(path + "/test", classes: training.classes, chosenBy: "train/ has")
            return [training, test]
        }
        guard validationSplit != nil else {
            throw InputFileError(path: path, problem: "is one tree of class folders: hold part of it out for evaluation with --validation-split F (Keras's validation_split), or give it train/ and test/ folders of class folders")
        }
        return [try tree(path, classes: chosenClasses)]
    }

    /// `chosen`: the class folders to read, in label order (`chosenBy` says where they came from).
    private func tree(_ root: String, classes chosen: [String]?, chosenBy: String = "--classes") throws -> Tree {
        let manager = FileManager.default
        let folders = try manager.contentsOfDirectory(atPath: root).filter { !$0.hasPrefix(".") && Self.isDirectory(root + "/" + $0) }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        if let chosen {
            for name in chosen where !folders.contains(name) {
                throw InputFileError(path: root, problem: "has no class folder '\(name)' (\(chosenBy) it); it has \(folders.joined(separator: ", "))")
            }
        }
        let classes = chosen ?? folders
        guard classes.count == classCount else {
            throw InputFileError(path: root, problem: "has \(classes.count) class folder\(classes.count == 1 ? "" : "s") (\(classes.joined(separator: ", "))); the model has \(classCount) classes")
        }
        guard classes.count <= 255 else { throw InputFileError(path: root, problem: "has more than 255 class folders") }
        var files: [String] = [], labels: [UInt8] = []
        for (label, name) in classes.enumerated() {
            // os.walk's folders sorted by their whole path, each folder's files sorted: Keras's order.
            var directories = [name]
            var pending = [name]
            while let directory = pending.popLast() {
                for entry in try manager.contentsOfDirectory(atPath: root + "/" + directory) where Self.isDirectory(root + "/" + directory + "/" + entry) {
                    directories.append(directory + "/" + entry)
                    pending.append(directory + "/" + entry)
                }
            }
            directories.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for directory in directories {
                let names = try manager.contentsOfDirectory(atPath: root + "/" + directory)
                    .filter { name in Self.extensions.contains { name.lowercased().hasSuffix($0) } && !Self.isDirectory(root + "/" + directory + "/" + name) }
                    .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                files += names.map { directory + "/" + $0 }
                labels += Array(repeating: UInt8(label), count: names.count)
            }
        }
        guard !files.isEmpty else { throw InputFileError(path: root, problem: "holds no \(Self.extensions.dropLast().joined(separator: ", ")) or \(Self.extensions.last!) pictures in its class folders") }
        return Tree(root: root, classes: classes, files: files, labels: labels)
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// For a single tree: which of its files (indices in Keras's order) train, and which are held out.
    package func splitIndices(count: Int) -> (training: [Int32], validation: [Int32]) {
        let shuffled = NumpyLegacyShuffle.shuffled(Array(0..<Int32(count)), seed: seed)
        let held = Int(validationSplit! * Double(count))
        return (Array(shuffled[..<(count - held)]), Array(shuffled[(count - held)...]))
    }

    /// The classes and the decoding, for the checkpoint.
    package func dataDescription() throws -> DataDescription {
        DataDescription(classNames: try trees()[0].classes, pictures: settings)
    }

    // MARK: ImageDataset

    package func validate() throws {
        guard Self.isDirectory(path) else { throw InputFileError(path: path, problem: "data directory does not exist") }
        guard PictureSettings.ColourMode(channels: channels) != nil else {
            throw InputFileError(path: path, problem: "the model takes \(channels) channels; pictures are read as 1 (grey), 3 (RGB) or 4 (RGBA)")
        }
        let trees = try trees()
        if trees.count == 1 {
            let split = splitIndices(count: trees[0].files.count)
            guard !split.validation.isEmpty, !split.training.isEmpty else {
                throw InputFileError(path: path, problem: "--validation-split \(validationSplit!) of \(trees[0].files.count) pictures leaves \(split.training.count) to train on and \(split.validation.count) to evaluate")
            }
        }
    }

    package func load(_ split: DatasetSplit, keeping: ((Int) -> Range<Int>)?) throws -> LabeledImages {
        let trees = try trees()
        let tree = trees.count == 2 && split == .test ? trees[1] : trees[0]
        let cache = try openOrBuildCache(tree)
        let order: [Int32]
        if trees.count == 2 {
            order = Array(0..<Int32(tree.files.count))
        } else {
            let indices = splitIndices(count: tree.files.count)
            order = split == .train ? indices.training : indices.validation
        }
        let readable = cache.unreadable.isEmpty ? order : order.filter { !cache.unreadable.contains(Int($0)) }
        let kept = keeping?(readable.count) ?? 0..<readable.count
        let positions = Array(readable[kept])
        return LabeledImages(rows: height, columns: width, channels: channels, bytes: cache.pixels,
                             labels: positions.map { tree.labels[Int($0)] }, firstIndex: kept.lowerBound, fileCount: readable.count,
                             path: path, positions: positions)
    }

    // MARK: The cache

    /// The cache file of `tree` for these settings.
    package func cachePath(_ tree: Tree) -> String {
        let absolute = URL(fileURLWithPath: tree.root).standardizedFileURL.path
        let name = String(format: ".tandem-pictures-%016llx-", fnv1a(Array(absolute.utf8))) + settings.fileNamePart + ".cache"
        return (cacheDirectory ?? tree.root) + "/" + name
    }

    /// Names, sizes and modification times of every file, with the settings: what the cache was made from.
    private func key(_ tree: Tree) throws -> UInt64 {
        var text = "tandem-pictures 2 \(settings.fileNamePart) rounded\n"
        for (file, label) in zip(tree.files, tree.labels) {
            let attributes = try FileManager.default.attributesOfItem(atPath: tree.root + "/" + file)
            let size = attributes[.size] as? Int ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            text += "\(file)\u{0}\(size)\u{0}\(modified)\u{0}\(label)\n"
        }
        return fnv1a(Array(text.utf8))
    }

    private static let magic = Array("TNDMPIC1".utf8)
    private static let headerSize = 64

    struct Cache {
        let pixels: ImageBytes
        /// Pictures that could not be read (`--skip-bad-images`): zeros in `pixels`, label byte 255.
        let unreadable: Set<Int>
    }

    /// The label byte a cache holds for a picture that could not be read.
    private static let unreadableLabel: UInt8 = 255

    /// The pictures of `tree` its cache records as unreadable (`--skip-bad-images`), in order.
    package func unreadablePictures(_ tree: Tree) throws -> [String] {
        guard let cache = try validCache(tree, at: cachePath(tree)) else { return [] }
        return cache.unreadable.sorted().map { tree.files[$0] }
    }

    /// A cache being built: the temporary file every builder writes its share of the pictures into.
    package struct CacheBuild: Sendable {
        package let tree: Tree
        package let path: String
        package let temporary: String
    }

    /// Whether `tree`'s cache is there, made from these files with these settings, and intact.
    package func hasValidCache(_ tree: Tree) throws -> Bool { try validCache(tree, at: cachePath(tree)) != nil }

    /// The build of `tree`'s cache in a temporary file whose name `suffix` makes unique to the job.
    package func cacheBuild(_ tree: Tree, temporarySuffix suffix: String) -> CacheBuild {
        let path = cachePath(tree)
        return CacheBuild(tree: tree, path: path, temporary: path + "." + suffix + ".partial")
    }

    private var imageSize: Int { height * width * channels }
    private static func pixelsOffset(_ count: Int) -> Int { headerSize + (count + 63) / 64 * 64 }

    /// First phase (one builder): the temporary file at its full size, header (without its CRC) and labels.
    package func beginCache(_ build: CacheBuild) throws {
        let count = build.tree.files.count
        var head = [UInt8](repeating: 0, count: Self.pixelsOffset(count))
        head.replaceSubrange(0..<8, with: Self.magic)
        withUnsafeBytes(of: (try key(build.tree)).littleEndian) { head.replaceSubrange(8..<16, with: $0) }
        head.replaceSubrange(Self.headerSize..<Self.headerSize + count, with: build.tree.labels)
        let descriptor = open(build.temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw InputFileError(path: build.path, problem: "cannot write the picture cache here (a read-only data folder? pass --cache-dir DIR): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(Self.pixelsOffset(count) + count * imageSize)) == 0,
              head.withUnsafeBytes({ pwrite(descriptor, $0.baseAddress, $0.count, 0) }) == head.count else {
            throw InputFileError(path: build.path, problem: "cannot write the picture cache: \(String(cString: strerror(errno)))")
        }
    }

    /// Second phase (every builder, each its own `pictures`): decodes pictures into the temporary file;
    /// `progress(done)` after each.
    package func decode(_ pictures: Range<Int>, of build: CacheBuild, progress: (Int) -> Void = { _ in }) throws {
        let descriptor = open(build.temporary, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw InputFileError(path: build.temporary, problem: "cannot open the picture cache being built: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let start = Self.pixelsOffset(build.tree.files.count)
        for (done, index) in pictures.enumerated() {
            let pixels: [UInt8]
            do {
                pixels = try decode(build.tree.root + "/" + build.tree.files[index])
            } catch is InputFileError where skipsUnreadablePictures {
                // Zeros, and the label byte that marks the picture left out.
                pixels = [UInt8](repeating: 0, count: imageSize)
                guard withUnsafeBytes(of: Self.unreadableLabel, { pwrite(descriptor, $0.baseAddress, 1, off_t(Self.headerSize + index)) }) == 1 else {
                    throw InputFileError(path: build.temporary, problem: "cannot write the picture cache: \(String(cString: strerror(errno)))")
                }
            }
            guard pixels.withUnsafeBytes({ pwrite(descriptor, $0.baseAddress, $0.count, off_t(start + index * imageSize)) }) == imageSize else {
                throw InputFileError(path: build.temporary, problem: "cannot write the picture cache: \(String(cString: strerror(errno)))")
            }
            progress(done + 1)
        }
    }

    /// Third phase (one builder, after every share is written): the CRC into the header, the file
    /// flushed and renamed into place.
    package func finishCache(_ build: CacheBuild) throws {
        let size = Self.pixelsOffset(build.tree.files.count) + build.tree.files.count * imageSize
        guard let whole = ImageBytes(mapping: build.temporary, offset: 0, count: size) else {
            throw InputFileError(path: build.temporary, problem: "cannot read back the picture cache being built")
        }
        let crc = UInt32(crc32_z(0, whole.baseAddress, size))
        let descriptor = open(build.temporary, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw InputFileError(path: build.temporary, problem: "cannot open the picture cache being built") }
        defer { close(descriptor) }
        guard withUnsafeBytes(of: crc.littleEndian, { pwrite(descriptor, $0.baseAddress, 4, 16) }) == 4, fsync(descriptor) == 0,
              rename(build.temporary, build.path) == 0 else {
            unlink(build.temporary)
            throw InputFileError(path: build.path, problem: "cannot put the picture cache in place: \(String(cString: strerror(errno)))")
        }
    }

    /// The three phases in this process alone.
    package func build(_ build: CacheBuild) throws {
        try beginCache(build)
        do {
            try decode(0..<build.tree.files.count, of: build)
            try finishCache(build)
        } catch {
            unlink(build.temporary)
            throw error
        }
    }

    private func openOrBuildCache(_ tree: Tree) throws -> Cache {
        let path = cachePath(tree)
        if let cache = try validCache(tree, at: path) { return cache }
        try build(cacheBuild(tree, temporarySuffix: "\(getpid())"))
        guard let cache = try validCache(tree, at: path) else { throw InputFileError(path: path, problem: "the picture cache just written does not read back") }
        return cache
    }

    /// The mapped cache if it is there, made from these files with these settings, and intact (the CRC
    /// covers the whole file, its own 4 bytes as zeros).
    private func validCache(_ tree: Tree, at path: String) throws -> Cache? {
        let count = tree.files.count
        let expectedSize = Self.pixelsOffset(count) + count * imageSize
        guard let stamp = CheckedCaches.Stamp(path), stamp.size == expectedSize,
              let whole = ImageBytes(mapping: path, offset: 0, count: stamp.size) else { return nil }
        let size = stamp.size
        var header = Array(whole[0..<Self.headerSize])
        let storedKey = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) }
        let storedCRC = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt32.self) }
        header.replaceSubrange(16..<20, with: [0, 0, 0, 0])
        guard Array(header[0..<8]) == Self.magic, UInt64(littleEndian: storedKey) == (try key(tree)) else { return nil }
        if !checkedCaches.contains(path, stamp) {
            let crc = crc32_z(crc32_z(0, header, Self.headerSize), whole.baseAddress + Self.headerSize, size - Self.headerSize)
            guard UInt32(crc) == UInt32(littleEndian: storedCRC) else { return nil }
            // Only if the file checked is still the one stamped (not replaced meanwhile).
            if CheckedCaches.Stamp(path) == stamp { checkedCaches.insert(path, stamp) }
        }
        let labels = whole.baseAddress + Self.headerSize
        guard (0..<count).allSatisfy({ labels[$0] == tree.labels[$0] || labels[$0] == Self.unreadableLabel }) else { return nil }
        let unreadable = Set((0..<count).filter { labels[$0] == Self.unreadableLabel })
        if let first = unreadable.min(), !skipsUnreadablePictures {
            throw InputFileError(path: tree.root + "/" + tree.files[first], problem: "cannot be read (\(unreadable.count) picture\(unreadable.count == 1 ? "" : "s") of \(tree.root) could not be when its cache was made); --skip-bad-images goes on without them")
        }
        guard let pixels = ImageBytes(mapping: path, offset: Self.pixelsOffset(count), count: count * imageSize) else { return nil }
        return Cache(pixels: pixels, unreadable: unreadable)
    }

    /// One picture as the model's input (`settings`).
    package func decode(_ file: String) throws -> [UInt8] {
        func fail(_ problem: String) -> InputFileError { InputFileError(path: file, problem: problem) }
        guard let data = FileManager.default.contents(atPath: file) else { throw fail("cannot be read") }
        let decoded = try PictureDecoder.decode([UInt8](data), channels: channels, fail: fail)
        return settings.convert(decoded.pixels, height: decoded.height, width: decoded.width)
    }
}

/// Which cache files a `PictureFolders` (and its copies) found intact: each file's device, inode, size and
/// modification time when its CRC checked out. A file replaced or rewritten since is checked again.
final class CheckedCaches: @unchecked Sendable {   // `stamps` only under `lock`
    struct Stamp: Equatable {
        let device: UInt64, inode: UInt64, size: Int, seconds: Int, nanoseconds: Int

        init?(_ path: String) {
            var status = stat()
            guard stat(path, &status) == 0 else { return nil }
            device = UInt64(status.st_dev)
            inode = UInt64(status.st_ino)
            size = Int(status.st_size)
            seconds = Int(status.st_mtim.tv_sec)
            nanoseconds = Int(status.st_mtim.tv_nsec)
        }
    }

    private let lock = NSLock()
    private var stamps: [String: Stamp] = [:]

    func contains(_ path: String, _ stamp: Stamp) -> Bool { lock.withLock { stamps[path] == stamp } }
    func insert(_ path: String, _ stamp: Stamp) { lock.withLock { stamps[path] = stamp } }
}

/// FNV-1a, 64 bits: a cache's key and name.
private func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
}
