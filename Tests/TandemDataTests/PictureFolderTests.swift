import CTandemZlib
import Foundation
import Testing
@testable import TandemData

/// Folders of pictures against what real Keras makes of them (Tests/Fixtures/picture-folders, written by
/// its generate.py with Keras 3 / TensorFlow): the same classes, the same files held out for validation
/// with the same seed, the same pixels; the cache is reused, and rebuilt when stale or damaged.
struct PictureFolderTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/picture-folders").path

    struct Expected: Decodable {
        let classes: [String]
        let training: [String]
        let validation: [String]
        /// Per file, Keras's pixels at 16x16: "rgb" and "grayscale".
        let pixels: [String: [String: [Float]]]
        /// Per file of formats/, TensorFlow's decode_image at its own size: "rgb", and "grayscale" and "rgba" where TensorFlow gives them.
        let formats: [String: [String: [UInt8]]]
        /// Per variant (nearest, crop, pad, crop-nearest), per file, Keras's pixels at 16x16 RGB.
        let variants: [String: [String: [Float]]]
    }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: fixtures + "/expected.json")))
    }

    /// A private copy of a fixture folder (the caches are written beside the pictures).
    static func copy(_ name: String) throws -> String {
        let directory = NSTemporaryDirectory() + "tandem-pictures-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixtures + "/" + name, toPath: directory + "/" + name)
        return directory + "/" + name
    }

    @Test("NumPy's legacy RandomState(seed).shuffle, bit for bit (values printed by NumPy)")
    func numpyShuffle() {
        #expect(NumpyLegacyShuffle.shuffled(Array(0..<10), seed: 7) == [8, 5, 0, 2, 1, 9, 7, 3, 6, 4])
    }

    @Test("One tree with a validation split of 0.25 and seed 7: Keras's classes (hidden folder skipped), its training and validation files in its order (nested folders, upper-case extensions, a text file ignored)")
    func filesAndSplitAreKeras() throws {
        let expected = try Self.expected()
        let folders = PictureFolders(path: Self.fixtures + "/flowers", height: 16, width: 16, channels: 3, classCount: 3,
                                     validationSplit: 0.25, seed: 7)
        #expect(PictureFolders.holdsPictureFolders(folders.path))
        #expect(!PictureFolders.holdsPictureFolders(Self.fixtures + "/flowers/daisy/nested"))
        let tree = try #require(try folders.trees().first)
        #expect(tree.classes == expected.classes)
        let split = folders.splitIndices(count: tree.files.count)
        #expect(split.training.map { tree.files[Int($0)] } == expected.training)
        #expect(split.validation.map { tree.files[Int($0)] } == expected.validation)
    }

    @Test("Pixels as Keras gives them at 16x16 (bilinear, RGB and grey): within the rounding to bytes, PNG and JPEG (TensorFlow's fast integer DCT, its grey weights)",
          arguments: [3, 1])
    func pixelsAreKeras(channels: Int) throws {
        let expected = try Self.expected()
        let folders = PictureFolders(path: Self.fixtures + "/flowers", height: 16, width: 16, channels: channels, classCount: 3, validationSplit: 0.25)
        let tree = try #require(try folders.trees().first)
        var worstPNG: Float = 0, worstJPEG: Float = 0
        for file in tree.files {
            let ours = try folders.decode(tree.root + "/" + file)
            let keras = try #require(expected.pixels[file]?[channels == 3 ? "rgb" : "grayscale"])
            let worst = zip(ours, keras).map { abs(Float($0) - $1) }.max()!
            if file.lowercased().hasSuffix(".png") { worstPNG = max(worstPNG, worst) } else { worstJPEG = max(worstJPEG, worst) }
        }
        #expect(worstPNG <= 0.5, "PNG: largest difference \(worstPNG)")
        #expect(worstJPEG <= 0.5, "JPEG: largest difference \(worstJPEG)")
    }

    @Test("Keras's interpolation='nearest', crop_to_aspect_ratio and pad_to_aspect_ratio (pictures of four aspect ratios): every pixel within the rounding to bytes",
          arguments: ["nearest", "crop", "pad", "crop-nearest"])
    func resizeVariantsAreKeras(variant: String) throws {
        let expected = try #require(try Self.expected().variants[variant])
        let folders = PictureFolders(path: Self.fixtures + "/flowers", height: 16, width: 16, channels: 3, classCount: 3, validationSplit: 0.25,
                                     interpolation: variant.hasSuffix("nearest") ? .nearest : .bilinear,
                                     aspectRatio: variant.hasPrefix("crop") ? .crop : variant == "pad" ? .pad : .stretch)
        let tree = try #require(try folders.trees().first)
        #expect(expected.count == tree.files.count)
        for file in tree.files {
            let ours = try folders.decode(tree.root + "/" + file), keras = try #require(expected[file])
            let worst = zip(ours, keras).map { abs(Float($0) - $1) }.max()!
            #expect(worst <= 0.5, "\(variant) \(file): largest difference \(worst)")
        }
    }

    @Test("Pictures as TensorFlow reads them, exactly: PNGs in RGBA and grey with alpha (alpha dropped or kept, not composited), 16-bit (high byte), a palette; a progressive JPEG, and one whose EXIF orientation TensorFlow ignores (so does Tandem); CMYK JPEGs with and without Adobe's inverted inks; 24- and 32-bit BMPs; GIFs (interlaced, transparent, offset first frames, no trailer); in grey, RGB and RGBA",
          arguments: [3, 1, 4])
    func formatsAreTensorFlows(channels: Int) throws {
        let expected = try Self.expected()
        let folders = PictureFolders(path: Self.fixtures + "/formats", height: 10, width: 12, channels: channels, classCount: 1)
        #expect(expected.formats.count == 16)
        var compared = 0
        for (name, pixels) in expected.formats where name != "rgba-16-bit.png" {
            guard let theirs = pixels[PictureSettings.ColourMode(channels: channels)!.rawValue] else { continue }   // TensorFlow refuses: see the next test
            let ours = try folders.decode(Self.fixtures + "/formats/" + name)
            #expect(ours == theirs, "\(name): largest difference \(zip(ours, theirs).map { abs(Int($0) - Int($1)) }.max() ?? -1), \(ours.count) against \(theirs.count) values")
            compared += 1
        }
        #expect(compared == [1: 6, 3: 15, 4: 6][channels])
    }

    @Test("Where TensorFlow refuses a colour mode (grey from a BMP, GIF or CMYK JPEG; RGBA from a JPEG or GIF), Tandem converts TensorFlow's RGB: grey by decode_png's weights, alpha opaque")
    func conversionsWhereTensorFlowRefuses() throws {
        let expected = try Self.expected()
        let grey = PictureFolders(path: Self.fixtures + "/formats", height: 10, width: 12, channels: 1, classCount: 1)
        let rgba = PictureFolders(path: Self.fixtures + "/formats", height: 10, width: 12, channels: 4, classCount: 1)
        var converted = (grey: 0, rgba: 0)
        for (name, pixels) in expected.formats {
            let rgb = try #require(pixels["rgb"])
            if pixels["grayscale"] == nil {
                let levels = (0..<120).map { (pixel: Int) -> UInt8 in
                    UInt8(PictureDecoder.greyLevel(UInt32(rgb[3 * pixel]), UInt32(rgb[3 * pixel + 1]), UInt32(rgb[3 * pixel + 2])))
                }
                #expect(try grey.decode(Self.fixtures + "/formats/" + name) == levels, "\(name)")
                converted.grey += 1
            }
            if pixels["rgba"] == nil {
                let opaque = (0..<480).map { (index: Int) -> UInt8 in index % 4 == 3 ? 255 : rgb[3 * (index / 4) + index % 4] }
                #expect(try rgba.decode(Self.fixtures + "/formats/" + name) == opaque, "\(name)")
                converted.rgba += 1
            }
        }
        #expect(converted.grey == 9 && converted.rgba == 9)
    }

    @Test("A 16-bit PNG with alpha, the one known difference: libpng's simplified API premultiplies 16-bit colour by alpha, so a fully transparent pixel (the first row) comes out black where TensorFlow keeps its stored colour; the others within 1 level",
          arguments: [3, 1])
    func sixteenBitAlpha(channels: Int) throws {
        let theirs = try #require(try Self.expected().formats["rgba-16-bit.png"]?[channels == 3 ? "rgb" : "grayscale"])
        let folders = PictureFolders(path: Self.fixtures + "/formats", height: 10, width: 12, channels: channels, classCount: 1)
        let ours = try folders.decode(Self.fixtures + "/formats/rgba-16-bit.png"), row = 12 * channels
        #expect(ours[..<row].allSatisfy { $0 == 0 })
        #expect(zip(ours[row...], theirs[row...]).allSatisfy { abs(Int($0) - Int($1)) <= 1 })
    }

    @Test("The cache: made once, mapped by later loads, rebuilt when a picture changes, the cache is damaged or comes from another version; the images read are the decoded pictures")
    func cache() throws {
        let path = try Self.copy("split")
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let folders = PictureFolders(path: path, height: 12, width: 12, channels: 3, classCount: 3)
        try folders.validate()
        /// How many caches were (re)built.
        func prepare() throws -> Int {
            try folders.trees().filter { try !folders.hasValidCache($0) }.map { try folders.build(folders.cacheBuild($0, temporarySuffix: "test")) }.count
        }
        #expect(try prepare() == 2)
        #expect(try prepare() == 0, "an intact cache is reused")
        let training = try folders.load(.train, keeping: nil)
        let tree = try folders.trees()[0]
        #expect(training.count == 18 && training.pixels.isMapped)
        #expect(training.labels == tree.labels)
        var image = [Float](repeating: 0, count: training.imageSize)
        image.withUnsafeMutableBufferPointer { training.withByteScale(1).writeImage(7, to: $0.baseAddress!) }
        #expect(image == (try folders.decode(tree.root + "/" + tree.files[7])).map(Float.init))

        // A picture replaced (new size and time): the key changes, the cache is rebuilt.
        let replaced = tree.root + "/" + tree.files[0]
        try FileManager.default.removeItem(atPath: replaced)
        try FileManager.default.copyItem(atPath: tree.root + "/" + tree.files[1], toPath: replaced)
        #expect(try prepare() == 1)
        // A damaged byte in the pixels: the CRC no longer matches, the cache is rebuilt.
        let cache = folders.cachePath(tree)
        func damage() throws {
            let handle = try #require(FileHandle(forUpdatingAtPath: cache))
            try handle.seek(toOffset: 200)
            try handle.write(contentsOf: Data([0x5A]))
            try handle.close()
        }
        try damage()
        #expect(try prepare() == 1)
        #expect(try prepare() == 0)
        // Damaged in place after this value found it intact (its CRC is read once per process): still seen.
        try damage()
        #expect(try prepare() == 1)
        // A cache from another version of Tandem: another magic, or another key for the same files (the
        // key's text starts with the cache format's version), with a CRC that matches: rebuilt.
        for (offset, byte) in [(7, UInt8(ascii: "0")), (8, 0xA5)] {
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: cache)))
            bytes[offset] = byte
            bytes.replaceSubrange(16..<20, with: [0, 0, 0, 0])
            let crc = UInt32(crc32(0, bytes, UInt32(bytes.count)))
            withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange(16..<20, with: $0) }
            try Data(bytes).write(to: URL(fileURLWithPath: cache))
            #expect(try prepare() == 1, "byte \(offset)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".partial") }.isEmpty)
    }

    @Test("--skip-bad-images: an unreadable picture is left out of the set it falls in and named; the same cache read without the flag is refused, naming it")
    func unreadablePicturesLeftOut() throws {
        let path = try Self.copy("split")
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        try Data("not a picture".utf8).write(to: URL(fileURLWithPath: path + "/train/rose/broken.png"))
        let skipping = PictureFolders(path: path, height: 8, width: 8, channels: 3, classCount: 3, skipsUnreadablePictures: true)
        let training = try skipping.load(.train, keeping: nil)
        let tree = try skipping.trees()[0]
        #expect(tree.files.count == 19 && training.count == 18 && training.fileCount == 18)
        #expect(try skipping.unreadablePictures(tree) == ["rose/broken.png"])
        #expect(!(training.positions ?? []).contains(Int32(tree.files.firstIndex(of: "rose/broken.png")!)))
        let strict = PictureFolders(path: path, height: 8, width: 8, channels: 3, classCount: 3)
        #expect(throws: InputFileError(path: path + "/train/rose/broken.png",
                                       problem: "cannot be read (1 picture of \(path)/train could not be when its cache was made); --skip-bad-images goes on without them")) {
            try strict.load(.train, keeping: nil)
        }
    }

    @Test("Refused in one line naming the folder or file: one tree without --validation-split, a split with train/ and test/, the wrong number of classes, an unknown --classes name, a file that is not a picture, a truncated JPEG, a 0×0 BMP, class folders without pictures, a test/ without one of train/'s classes, one class folder, an empty folder")
    func refusals() throws {
        func problem(_ folders: PictureFolders) -> String? {
            do { try folders.validate(); _ = try folders.load(.train, keeping: nil); return nil } catch { return "\(error)" }
        }
        let flowers = Self.fixtures + "/flowers", split = Self.fixtures + "/split"
        #expect(problem(PictureFolders(path: flowers, height: 8, width: 8, channels: 3, classCount: 3))?.contains("--validation-split") == true)
        #expect(problem(PictureFolders(path: split, height: 8, width: 8, channels: 3, classCount: 3, validationSplit: 0.2))?.contains("train/ and test/") == true)
        #expect(problem(PictureFolders(path: flowers, height: 8, width: 8, channels: 3, classCount: 10, validationSplit: 0.2))?.contains("has 3 class folders (daisy, rose, tulip); the model has 10 classes") == true)
        #expect(problem(PictureFolders(path: flowers, height: 8, width: 8, channels: 3, classCount: 2, validationSplit: 0.2, classes: ["rose", "lily"]))?.contains("no class folder 'lily'") == true)

        let copy = try Self.copy("split")
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: copy).deletingLastPathComponent().path) }
        let folders = PictureFolders(path: copy, height: 8, width: 8, channels: 3, classCount: 3)
        try Data("not a picture".utf8).write(to: URL(fileURLWithPath: copy + "/train/rose/broken.png"))
        let message = problem(folders)
        #expect(message?.hasPrefix(copy + "/train/rose/broken.png: is not a PNG, JPEG, BMP or GIF picture") == true, "\(message ?? "accepted")")
        try FileManager.default.removeItem(atPath: copy + "/train/rose/broken.png")
        // A JPEG cut short (TensorFlow refuses it too), and a BMP of 0×0 pixels.
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: copy + "/train/rose/rose_02.jpg"))
        try jpeg.prefix(jpeg.count / 2).write(to: URL(fileURLWithPath: copy + "/train/rose/rose_02.jpg"))
        #expect(problem(folders)?.hasPrefix(copy + "/train/rose/rose_02.jpg: not a readable JPEG: ") == true, "\(problem(folders) ?? "accepted")")
        try jpeg.write(to: URL(fileURLWithPath: copy + "/train/rose/rose_02.jpg"))
        var empty = Data("BM".utf8) + Data(count: 52)
        empty[10] = 54
        empty[14] = 40
        empty[28] = 24
        try empty.write(to: URL(fileURLWithPath: copy + "/train/tulip/empty.bmp"))
        #expect(problem(folders) == "\(copy)/train/tulip/empty.bmp: not a readable BMP: 0x0 pixels do not fit the file")
        try FileManager.default.removeItem(atPath: copy + "/train/tulip/empty.bmp")
        // Class folders with no pictures; one class folder for a model of three classes.
        for name in ["daisy", "rose", "tulip"] {
            for file in try FileManager.default.contentsOfDirectory(atPath: copy + "/test/" + name) { try FileManager.default.removeItem(atPath: copy + "/test/\(name)/" + file) }
        }
        #expect(problem(folders)?.hasPrefix(copy + "/test: holds no .png, .jpg, .jpeg, .bmp or .gif pictures") == true, "\(problem(folders) ?? "accepted")")
        try FileManager.default.removeItem(atPath: copy + "/test/rose")
        try FileManager.default.removeItem(atPath: copy + "/test/tulip")
        #expect(problem(folders) == "\(copy)/test: has no class folder 'rose' (train/ has it); it has daisy")

        // One class folder for a model of three classes; an empty data folder (neither IDX files nor class folders).
        let one = try Self.copy("flowers")
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: one).deletingLastPathComponent().path) }
        for name in ["rose", "tulip"] { try FileManager.default.removeItem(atPath: one + "/" + name) }
        #expect(problem(PictureFolders(path: one, height: 8, width: 8, channels: 3, classCount: 3, validationSplit: 0.25)) == "\(one): has 1 class folder (daisy); the model has 3 classes")
        let emptyFolder = URL(fileURLWithPath: one).deletingLastPathComponent().path + "/empty"
        try FileManager.default.createDirectory(atPath: emptyFolder, withIntermediateDirectories: false)
        #expect(!PictureFolders.holdsPictureFolders(emptyFolder))
        #expect(throws: InputFileError(path: emptyFolder, problem: "holds neither IDX files (train-images-idx3-ubyte[.gz], …) nor class folders of pictures")) {
            try DatasetDirectory(path: emptyFolder).validate()
        }
    }

    @Test("Damaged GIFs refused in one line: cut short in its first frame, a colour beyond its palette, no frame at all; damage after the first frame is read up to the damage, as TensorFlow does")
    func damagedGIFs() throws {
        let gif = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/formats/gif-global-palette.gif")))
        func problem(_ bytes: [UInt8]) -> String? {
            do { _ = try PictureDecoder.decode(bytes, channels: 3) { InputFileError(path: "x.gif", problem: $0) }; return nil } catch { return "\(error)" }
        }
        #expect(problem(Array(gif.prefix(gif.count - 40)))?.hasPrefix("x.gif: not a readable GIF: ") == true)
        #expect(problem(Array(gif.prefix(13 + 768) + [0x3B])) == "x.gif: not a readable GIF: it holds no picture")
        // A 2-colour global palette (flag 0x80, size bits 0) while the frame's indices reach 255.
        var small = Array(gif.prefix(13)) + Array(gif[13..<19]) + Array(gif[(13 + 768)...])
        small[10] = 0x80
        #expect(problem(small)?.hasPrefix("x.gif: not a readable GIF: colour ") == true, "\(problem(small) ?? "accepted")")
        let animated = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/formats/gif-animated-offset.gif")))
        let whole = try PictureDecoder.decode(animated, channels: 3) { InputFileError(path: "x.gif", problem: $0) }
        let cut = try PictureDecoder.decode(Array(animated.dropLast(20)), channels: 3) { InputFileError(path: "x.gif", problem: $0) }
        #expect(cut.pixels == whole.pixels)
    }
}

/// `--validation-split` on arrays, as Keras's `fit(validation_split=F)`.
struct HeldOutTrainingDataTests {
    static let colour = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/npz/colour-uint8.npz").path

    @Test("Keras's split point, floor(n · (1 − F)), as Keras 3.15's train_validation_split gave it for (n, F) = (640, 0.1), (10, 0.33), (7, 0.5), (9, 0.25), (1001, 0.3), (60000, 0.1), (3, 0.1); the held-out part is the last 64 of 640 training images, not the test set, sharded by the keeping range")
    func lastSamplesAreHeldOut() throws {
        let keras = [(640, 0.1, 576), (10, 0.33, 6), (7, 0.5, 3), (9, 0.25, 6), (1001, 0.3, 700), (60000, 0.1, 54000), (3, 0.1, 2)]
        for (count, fraction, splitAt) in keras {
            #expect(HeldOutTrainingData.splitPoint(count: count, fraction: fraction) == splitAt, "\(count) at \(fraction)")
        }
        let base = NumpyArchive(path: Self.colour, classCount: 10)
        let held = HeldOutTrainingData(base: base, fraction: 0.1)
        #expect(held.evaluationSet == .validation)
        let all = try base.load(.train, keeping: nil)
        let training = try held.load(.train, keeping: nil), validation = try held.load(.test, keeping: nil)
        #expect(training.count == 576 && training.fileCount == 576 && Array(training.labels) == Array(all.labels[..<576]))
        #expect(validation.count == 64 && validation.fileCount == 64 && Array(validation.labels) == Array(all.labels[576...]))
        #expect(Array(validation.pixels) == Array(all.pixels[(576 * all.imageSize)...]))
        let shard = try held.load(.test, keeping: { _ in 16..<48 })
        #expect(shard.firstIndex == 16 && shard.fileCount == 64 && Array(shard.labels) == Array(all.labels[592..<624]))
        let limited = try held.load(.train, keeping: { 0..<min(100, $0) })
        #expect(limited.count == 100 && Array(limited.labels) == Array(all.labels[..<100]))
        #expect(throws: InputFileError.self) { try HeldOutTrainingData(base: base, fraction: 0.999).load(.test, keeping: nil) }
    }
}
