import CTandemImage
import Foundation

/// Images handed to `tandem predict`, converted to a model's input (height × width × channels, HWC,
/// floats; bytes times the model's byte scale, 1/255 or 1): PNG and JPEG files (libpng's simplified API, TurboJPEG), NumPy `.npy` arrays of one
/// image or a stack of them, and IDX image files. Every conversion made is stated in `conversion`.
public struct PredictionInput {
    /// One image: its name (`file.png`, `file.npy[3]`) and its pixels at the model's input shape.
    public struct Image {
        public let name: String
        public let pixels: [Float]
    }

    public let path: String
    public let images: [Image]
    /// How the file became the model's input (decoded size, colour, resizing, scaling); nil if taken as is.
    public let conversion: String?

    public static let largestFileBytes = 512 << 20
    public static let largestDecodedPixels = 1 << 28

    /// Reads `path` for a model whose input is `height` × `width` × `channels` (1 or 3 for pictures),
    /// multiplying bytes by `byteScale` (`Model.byteScale`); pictures as `pictures` (a model trained on
    /// folders of pictures: how its checkpoint says they were read), else bilinearly stretched.
    public init(path: String, height: Int, width: Int, channels: Int, byteScale: Float = 1 / 255, pictures: PictureSettings? = nil) throws {
        self.path = path
        let scaling = Self.scaling(byteScale)
        func fail(_ problem: String) -> InputFileError { InputFileError(path: path, problem: problem) }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              (attributes[.type] as? FileAttributeType) == .typeRegular else {
            throw fail(FileManager.default.fileExists(atPath: path) ? "not a regular file" : "no such file")
        }
        guard let size = attributes[.size] as? Int, size <= Self.largestFileBytes else {
            throw fail("is larger than \(Self.largestFileBytes >> 20) MiB")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot be read") }
        let bytes = [UInt8](data)
        let lowercased = path.lowercased()
        let name = URL(fileURLWithPath: path).lastPathComponent
        if bytes.starts(with: [0x1F, 0x8B]) || (bytes.count >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0x08) {
            // IDX, plain or gzip-compressed (as Fashion-MNIST ships).
            let file = try IDXReader.readImages(path: path)
            guard (file.rows, file.columns, file.channels) == (height, width, channels) else {
                throw fail("holds \(file.rows)x\(file.columns)x\(file.channels) images; the model takes \(height)x\(width)x\(channels)")
            }
            let size = height * width * channels
            images = (0..<file.count).map { index in
                Image(name: "\(name)[\(index)]", pixels: file.pixels[index * size..<(index + 1) * size].map { Float($0) * byteScale })
            }
            conversion = "uint8 \(scaling)"
        } else if let format = Self.pictureFormat(bytes) {
            guard channels == 1 || channels == 3 else {
                throw fail("the model takes \(channels) channels; a picture gives 1 (grey) or 3 (RGB)")
            }
            let decoded = try Self.decodePicture(bytes, grey: channels == 1, fail: fail)
            let settings = pictures ?? PictureSettings(height: height, width: width, channels: channels)
            images = [Image(name: name, pixels: settings.convert(decoded.pixels, height: decoded.height, width: decoded.width).map { Float($0) * byteScale })]
            var steps = ["\(format) \(decoded.width)x\(decoded.height) \(decoded.isColour ? "RGB" : "grey")"]
            if decoded.isColour != (channels == 3) { steps.append(channels == 1 ? "converted to grey" : "grey repeated in R, G, B") }
            if (decoded.height, decoded.width) != (height, width) {
                steps.append("resized to \(width)x\(height) (\(settings.resizing)), rounded to bytes")
            }
            steps.append(scaling)
            conversion = steps.joined(separator: ", ")
        } else if lowercased.hasSuffix(".npy") {
            let array: NumpyArray
            do { array = try NumpyArray(bytes: bytes, name: name) } catch let error as NumpyError { throw fail(error.problem) }
            (images, conversion) = try Self.images(of: array, name: name, height: height, width: width, channels: channels,
                                                   byteScale: byteScale, fail: fail)
        } else {
            throw fail("is not a PNG, JPEG, BMP, .npy or IDX image file")
        }
    }

    // MARK: Pictures

    /// A decoded picture: 8-bit pixels in the channels asked for, and whether the file itself was in colour.
    struct Decoded {
        let pixels: [UInt8]
        let height: Int
        let width: Int
        let isColour: Bool
    }

    private static func decodePNG(_ bytes: [UInt8], grey: Bool, fail: (String) -> InputFileError) throws -> Decoded {
        var image = png_image()
        tandem_png_image_init(&image)
        defer { png_image_free(&image) }
        func message() -> String {
            withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        guard bytes.withUnsafeBytes({ png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }) != 0 else {
            throw fail("not a readable PNG: \(message())")
        }
        guard Int(image.width) * Int(image.height) <= largestDecodedPixels else { throw fail("\(image.width)x\(image.height) pixels is too large") }
        // Read as TensorFlow's decode_png reads (what Keras's image_dataset_from_directory uses): alpha
        // dropped, not composited; palettes expanded; 16-bit samples cut to their high byte; a colour
        // picture wanted in grey converted with its weights (0.299, 0.587, 0.114 in 15-bit fixed
        // point, rounded down). libpng's simplified API would composite alpha, treat 16-bit samples as
        // linear light and convert colour to grey in linear light (up to 50 levels apart).
        let colourFlag: UInt32 = 2, alphaFlag: UInt32 = 1, linearFlag: UInt32 = 4
        let isColour = image.format & colourFlag != 0, hasAlpha = image.format & alphaFlag != 0
        let isSixteenBit = image.format & linearFlag != 0
        // 16-bit: linear output keeps the stored samples, but premultiplies colour by alpha; undone below,
        // except where alpha is 0 (black, where TensorFlow keeps the stored colour; within 1 level elsewhere).
        image.format = colourFlag | alphaFlag | (isSixteenBit ? linearFlag : 0)
        let pixelCount = Int(image.width) * Int(image.height)
        // The samples at their own depth; a 16-bit one becomes a byte only after any grey conversion.
        var samples: [UInt32]
        if isSixteenBit {
            var wide = [UInt16](repeating: 0, count: 4 * pixelCount)
            guard png_image_finish_read(&image, nil, &wide, 0, nil) != 0 else { throw fail("not a readable PNG: \(message())") }
            samples = wide.map(UInt32.init)
            if hasAlpha {
                for pixel in 0..<pixelCount where samples[4 * pixel + 3] > 0 {
                    let alpha = samples[4 * pixel + 3]
                    for channel in 0..<3 { samples[4 * pixel + channel] = min(65535, (samples[4 * pixel + channel] * 65535 + alpha / 2) / alpha) }
                }
            }
        } else {
            var bytes = [UInt8](repeating: 0, count: 4 * pixelCount)
            guard png_image_finish_read(&image, nil, &bytes, 0, nil) != 0 else { throw fail("not a readable PNG: \(message())") }
            samples = bytes.map(UInt32.init)
        }
        let shift: UInt32 = isSixteenBit ? 8 : 0
        let pixels: [UInt8]
        if !grey {
            pixels = (0..<3 * pixelCount).map { UInt8(samples[4 * ($0 / 3) + $0 % 3] >> shift) }
        } else if isColour {
            pixels = (0..<pixelCount).map { UInt8(Self.greyLevel(samples[4 * $0], samples[4 * $0 + 1], samples[4 * $0 + 2]) >> shift) }
        } else {
            pixels = (0..<pixelCount).map { UInt8(samples[4 * $0] >> shift) }
        }
        return Decoded(pixels: pixels, height: Int(image.height), width: Int(image.width), isColour: isColour)
    }

    /// TensorFlow's grey from colour (libpng's rgb_to_gray as decode_png sets it): weights 0.299, 0.587,
    /// 0.114 in 15-bit fixed point, rounded down.
    @inline(__always)
    static func greyLevel(_ red: UInt32, _ green: UInt32, _ blue: UInt32) -> UInt32 {
        let weighted: UInt32 = 9797 * red + 19234 * green + 3737 * blue
        return weighted >> 15
    }

    /// PNG, JPEG or BMP, by the file's first bytes; nil for anything else.
    static func pictureFormat(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "PNG" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "JPEG" }
        if bytes.starts(with: [0x42, 0x4D]) { return "BMP" }
        return nil
    }

    /// A PNG, JPEG or BMP picture decoded to grey or RGB as TensorFlow's decode_image decodes it.
    static func decodePicture(_ bytes: [UInt8], grey: Bool, fail: (String) -> InputFileError) throws -> Decoded {
        switch pictureFormat(bytes) {
        case "PNG": try decodePNG(bytes, grey: grey, fail: fail)
        case "JPEG": try decodeJPEG(bytes, grey: grey, fail: fail)
        case "BMP": try decodeBMP(bytes, grey: grey, fail: fail)
        default: throw fail("is not a PNG, JPEG or BMP picture")
        }
    }

    /// An uncompressed Windows bitmap (BI_RGB, 24 or 32 bits, rows bottom-up or top-down), as
    /// TensorFlow's decode_bmp reads one: alpha dropped; grey (which TensorFlow refuses for BMPs)
    /// converted with decode_png's weights.
    private static func decodeBMP(_ bytes: [UInt8], grey: Bool, fail: (String) -> InputFileError) throws -> Decoded {
        func integer(_ offset: Int, _ size: Int) -> Int {
            (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        }
        guard bytes.count >= 54, integer(14, 4) >= 40 else { throw fail("not a readable BMP: its header is cut short") }
        let dataOffset = integer(10, 4), width = integer(18, 4), signedHeight = Int(Int32(truncatingIfNeeded: integer(22, 4)))
        let bits = integer(28, 2), compression = integer(30, 4)
        guard compression == 0, bits == 24 || bits == 32 else {
            throw fail("a BMP of \(bits) bits per pixel, compression \(compression): only uncompressed 24- and 32-bit bitmaps are read (as TensorFlow's decode_bmp)")
        }
        let height = abs(signedHeight), stored = bits / 8, rowBytes = (width * stored + 3) / 4 * 4
        guard width > 0, height > 0, width * height <= largestDecodedPixels, dataOffset >= 54, dataOffset + rowBytes * height <= bytes.count else {
            throw fail("not a readable BMP: \(width)x\(height) pixels do not fit the file")
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for row in 0..<height {
            let source = dataOffset + (signedHeight > 0 ? height - 1 - row : row) * rowBytes
            for column in 0..<width {
                for channel in 0..<3 { rgb[(row * width + column) * 3 + channel] = bytes[source + column * stored + 2 - channel] }
            }
        }
        let pixels = grey ? (0..<width * height).map { UInt8(Self.greyLevel(UInt32(rgb[3 * $0]), UInt32(rgb[3 * $0 + 1]), UInt32(rgb[3 * $0 + 2]))) } : rgb
        return Decoded(pixels: pixels, height: height, width: width, isColour: true)
    }

    private static func decodeJPEG(_ bytes: [UInt8], grey: Bool, fail: (String) -> InputFileError) throws -> Decoded {
        guard let handle = tjInitDecompress() else { throw fail("TurboJPEG could not start") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colourspace: Int32 = 0
        var input = bytes
        guard tjDecompressHeader3(handle, &input, UInt(input.count), &width, &height, &subsampling, &colourspace) == 0 else {
            throw fail("not a readable JPEG: \(String(cString: tjGetErrorStr2(handle)))")
        }
        guard width > 0, height > 0, Int(width) * Int(height) <= largestDecodedPixels else { throw fail("\(width)x\(height) pixels is too large") }
        let channels = grey ? 1 : 3
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        let format = grey ? Int32(TJPF_GRAY.rawValue) : Int32(TJPF_RGB.rawValue)
        // TensorFlow's decode_jpeg (what Keras reads pictures with) uses the fast integer DCT by default.
        guard tjDecompress2(handle, &input, UInt(input.count), &pixels, width, 0, height, format, Int32(TJFLAG_FASTDCT)) == 0 else {
            throw fail("not a readable JPEG: \(String(cString: tjGetErrorStr2(handle)))")
        }
        return Decoded(pixels: pixels, height: Int(height), width: Int(width), isColour: colourspace != Int32(TJCS_GRAY.rawValue))
    }

    // MARK: Arrays

    /// An `.npy` of one image (H, W[, C]) or a stack (N, H, W[, C]): uint8 times `byteScale`, floats as they are.
    private static func images(of array: NumpyArray, name: String, height: Int, width: Int, channels: Int, byteScale: Float,
                               fail: (String) -> InputFileError) throws -> ([Image], String?) {
        let shape = array.shape
        let imageShape = channels == 1 ? [height, width] : [height, width, channels]
        let single = shape == imageShape || shape == [height, width, channels]
        let stack = !single && shape.count >= 3 && (Array(shape.dropFirst()) == imageShape || Array(shape.dropFirst()) == [height, width, channels])
        guard single || stack else {
            throw fail("has shape \(shape); the model takes one image of \(imageShape) or a stack (n, \(imageShape.map(String.init).joined(separator: ", ")))")
        }
        guard array.type == .uint8 || array.type.isFloat else { throw fail("holds \(array.type); images must be uint8, float32 or float64") }
        let count = single ? 1 : shape[0], size = height * width * channels
        let scale: Float = array.type == .uint8 ? byteScale : 1
        var images: [Image] = []
        for index in 0..<count {
            var pixels = [Float](repeating: 0, count: size)
            for element in 0..<size {
                let value = Float(array.value(at: index * size + element)) * scale
                guard value.isFinite else { throw fail("holds a non-finite value at element \(index * size + element)") }
                pixels[element] = value
            }
            images.append(Image(name: single ? name : "\(name)[\(index)]", pixels: pixels))
        }
        return (images, array.type == .uint8 ? "uint8 \(scaling(byteScale))" : nil)
    }

    /// How bytes become the model's input, in the words of a conversion.
    private static func scaling(_ byteScale: Float) -> String { byteScale == 1 ? "taken as 0–255" : "scaled by 1/255" }
}
