import CTandemImage

/// PNG, JPEG, BMP and GIF files decoded to bytes as TensorFlow's `decode_image` decodes them (what
/// Keras's `image_dataset_from_directory` and `load_img` read pictures with), in 1 (grey), 3 (RGB) or
/// 4 (RGBA) channels. Where TensorFlow refuses a combination (grey from a BMP, GIF or CMYK JPEG; RGBA
/// from a JPEG or GIF), the picture is converted instead: grey by TensorFlow's own weights, alpha opaque.
/// EXIF orientation is not applied, as TensorFlow does not apply it.
enum PictureDecoder {
    /// A decoded picture: 8-bit pixels in the channels asked for, and what the file itself held.
    struct Picture {
        let pixels: [UInt8]
        let height: Int
        let width: Int
        let isColour: Bool
        let hasAlpha: Bool
    }

    static let largestDecodedPixels = 1 << 28

    /// PNG, JPEG, BMP or GIF, by the file's first bytes; nil for anything else.
    static func format(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "PNG" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "JPEG" }
        if bytes.starts(with: [0x42, 0x4D]) { return "BMP" }
        if bytes.starts(with: Array("GIF8".utf8)) { return "GIF" }
        return nil
    }

    /// `bytes` in `channels` channels (1, 3 or 4).
    static func decode(_ bytes: [UInt8], channels: Int, fail: (String) -> InputFileError) throws -> Picture {
        precondition(PictureSettings.ColourMode(channels: channels) != nil)
        switch format(bytes) {
        case "PNG": return try decodePNG(bytes, channels: channels, fail: fail)
        case "JPEG": return try decodeJPEG(bytes, channels: channels, fail: fail)
        case "BMP": return try decodeBMP(bytes, channels: channels, fail: fail)
        case "GIF": return try decodeGIF(bytes, channels: channels, fail: fail)
        default: throw fail("is not a PNG, JPEG, BMP or GIF picture")
        }
    }

    /// TensorFlow's grey from colour (libpng's rgb_to_gray as decode_png sets it): weights 0.299, 0.587,
    /// 0.114 in 15-bit fixed point, rounded down.
    @inline(__always)
    static func greyLevel(_ red: UInt32, _ green: UInt32, _ blue: UInt32) -> UInt32 {
        let weighted: UInt32 = 9797 * red + 19234 * green + 3737 * blue
        return weighted >> 15
    }

    /// RGB bytes (and alpha, else opaque) in `channels` channels.
    private static func arranged(rgb: [UInt8], alpha: [UInt8]?, pixelCount: Int, channels: Int) -> [UInt8] {
        switch channels {
        case 1: (0..<pixelCount).map { UInt8(greyLevel(UInt32(rgb[3 * $0]), UInt32(rgb[3 * $0 + 1]), UInt32(rgb[3 * $0 + 2]))) }
        case 3: rgb
        default: (0..<4 * pixelCount).map { $0 % 4 == 3 ? alpha?[$0 / 4] ?? 255 : rgb[3 * ($0 / 4) + $0 % 4] }
        }
    }

    // MARK: PNG

    private static func decodePNG(_ bytes: [UInt8], channels: Int, fail: (String) -> InputFileError) throws -> Picture {
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
        // Read as TensorFlow's decode_png reads: alpha dropped (or kept for RGBA), not composited;
        // palettes expanded; 16-bit samples cut to their high byte; a colour picture wanted in grey
        // converted with its weights. libpng's simplified API would composite alpha, treat 16-bit
        // samples as linear light and convert colour to grey in linear light (up to 50 levels apart).
        let colourFlag: UInt32 = 2, alphaFlag: UInt32 = 1, linearFlag: UInt32 = 4
        let isColour = image.format & colourFlag != 0, hasAlpha = image.format & alphaFlag != 0
        let isSixteenBit = image.format & linearFlag != 0
        // 16-bit: linear output keeps the stored samples, but premultiplies colour by alpha; undone below,
        // except where alpha is 0 (black, where TensorFlow keeps the stored colour; within 1 level elsewhere).
        image.format = colourFlag | alphaFlag | (isSixteenBit ? linearFlag : 0)
        let pixelCount = Int(image.width) * Int(image.height)
        // The samples at their own depth; a 16-bit one becomes a byte only after any grey conversion.
        var samples: [UInt32]
        // Buffers are touched only as rows are decoded: a file whose data ends early costs no more than it holds.
        if isSixteenBit {
            let wide = try [UInt16](unsafeUninitializedCapacity: 4 * pixelCount) { buffer, count in
                guard png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil) != 0 else { throw fail("not a readable PNG: \(message())") }
                count = 4 * pixelCount
            }
            samples = wide.map(UInt32.init)
            if hasAlpha {
                for pixel in 0..<pixelCount where samples[4 * pixel + 3] > 0 {
                    let alpha = samples[4 * pixel + 3]
                    for channel in 0..<3 { samples[4 * pixel + channel] = min(65535, (samples[4 * pixel + channel] * 65535 + alpha / 2) / alpha) }
                }
            }
        } else {
            let bytes = try [UInt8](unsafeUninitializedCapacity: 4 * pixelCount) { buffer, count in
                guard png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil) != 0 else { throw fail("not a readable PNG: \(message())") }
                count = 4 * pixelCount
            }
            samples = bytes.map(UInt32.init)
        }
        let shift: UInt32 = isSixteenBit ? 8 : 0
        let pixels: [UInt8]
        switch channels {
        case 1 where isColour:
            pixels = (0..<pixelCount).map { UInt8(greyLevel(samples[4 * $0], samples[4 * $0 + 1], samples[4 * $0 + 2]) >> shift) }
        case 1:
            pixels = (0..<pixelCount).map { UInt8(samples[4 * $0] >> shift) }
        default:
            pixels = (0..<channels * pixelCount).map { UInt8(samples[4 * ($0 / channels) + $0 % channels] >> shift) }
        }
        return Picture(pixels: pixels, height: Int(image.height), width: Int(image.width), isColour: isColour, hasAlpha: hasAlpha)
    }

    // MARK: JPEG

    private static func decodeJPEG(_ bytes: [UInt8], channels: Int, fail: (String) -> InputFileError) throws -> Picture {
        guard let handle = tjInitDecompress() else { throw fail("TurboJPEG could not start") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colourspace: Int32 = 0
        var input = bytes
        func message() -> String { String(cString: tjGetErrorStr2(handle)) }
        guard tjDecompressHeader3(handle, &input, UInt(input.count), &width, &height, &subsampling, &colourspace) == 0 else {
            throw fail("not a readable JPEG: \(message())")
        }
        guard width > 0, height > 0, Int(width) * Int(height) <= largestDecodedPixels else { throw fail("\(width)x\(height) pixels is too large") }
        let pixelCount = Int(width) * Int(height)
        let isCMYK = colourspace == Int32(TJCS_CMYK.rawValue) || colourspace == Int32(TJCS_YCCK.rawValue)
        // TensorFlow's decode_jpeg uses the fast integer DCT by default.
        func decompress(_ format: TJPF, _ samplesPerPixel: Int) throws -> [UInt8] {
            var pixels = [UInt8](repeating: 0, count: pixelCount * samplesPerPixel)
            guard tjDecompress2(handle, &input, UInt(input.count), &pixels, width, 0, height, Int32(format.rawValue), Int32(TJFLAG_FASTDCT)) == 0 else {
                throw fail("not a readable JPEG: \(message())")
            }
            return pixels
        }
        let rgb: [UInt8]
        if isCMYK {
            // TensorFlow's own CMYK to RGB: Adobe's files store the inks inverted.
            let cmyk = try decompress(TJPF_CMYK, 4)
            let inverted = hasAdobeMarker(bytes)
            rgb = (0..<3 * pixelCount).map { index in
                let pixel = index / 3, ink = Int(cmyk[4 * pixel + index % 3]), black = Int(cmyk[4 * pixel + 3])
                return UInt8(inverted ? black * ink / 255 : (255 - black) * (255 - ink) / 255)
            }
        } else if channels == 1 {
            // Grey straight from the luma, as libjpeg gives it.
            let grey = try decompress(TJPF_GRAY, 1)
            return Picture(pixels: grey, height: Int(height), width: Int(width), isColour: colourspace != Int32(TJCS_GRAY.rawValue), hasAlpha: false)
        } else {
            rgb = try decompress(TJPF_RGB, 3)
        }
        return Picture(pixels: arranged(rgb: rgb, alpha: nil, pixelCount: pixelCount, channels: channels), height: Int(height), width: Int(width),
                       isColour: true, hasAlpha: false)
    }

    /// Whether the JPEG has an Adobe APP14 segment before its first scan (libjpeg's `saw_Adobe_marker`).
    private static func hasAdobeMarker(_ bytes: [UInt8]) -> Bool {
        var offset = 2
        while offset + 4 <= bytes.count, bytes[offset] == 0xFF {
            let marker = bytes[offset + 1], length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            if marker == 0xDA || length < 2 { return false }
            if marker == 0xEE, length - 2 >= 12, offset + 9 <= bytes.count, Array(bytes[offset + 4..<offset + 9]) == Array("Adobe".utf8) { return true }
            offset += 2 + length
        }
        return false
    }

    // MARK: BMP

    /// An uncompressed Windows bitmap (BI_RGB, 24 or 32 bits, rows bottom-up or top-down), as
    /// TensorFlow's decode_bmp reads one: a 32-bit one's fourth byte is its alpha.
    private static func decodeBMP(_ bytes: [UInt8], channels: Int, fail: (String) -> InputFileError) throws -> Picture {
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
        var alpha = stored == 4 ? [UInt8](repeating: 0, count: width * height) : nil
        for row in 0..<height {
            let source = dataOffset + (signedHeight > 0 ? height - 1 - row : row) * rowBytes
            for column in 0..<width {
                let pixel = row * width + column, stored = source + column * stored
                for channel in 0..<3 { rgb[pixel * 3 + channel] = bytes[stored + 2 - channel] }
                alpha?[pixel] = bytes[stored + 3]
            }
        }
        return Picture(pixels: arranged(rgb: rgb, alpha: alpha, pixelCount: width * height, channels: channels), height: height, width: width,
                       isColour: true, hasAlpha: alpha != nil)
    }

    // MARK: GIF

    /// A GIF's first frame as TensorFlow's decode_gif gives it: on a canvas as large as the largest frame
    /// (not the GIF's logical screen), black where the frame does not reach or its transparent colour is.
    /// A file cut short after its first frame is read up to the cut (frames not read whole do not count
    /// towards the canvas, where TensorFlow counts their stated size).
    private static func decodeGIF(_ bytes: [UInt8], channels: Int, fail: (String) -> InputFileError) throws -> Picture {
        try bytes.withUnsafeBufferPointer { buffer in
            var source = tandem_gif_source(bytes: buffer.baseAddress, count: buffer.count, offset: 0)
            var error: Int32 = 0
            guard let file = tandem_gif_open(&source, &error) else { throw fail("not a readable GIF: \(gifMessage(error))") }
            defer { DGifCloseFile(file, &error) }
            var first: (descriptor: GifImageDesc, indices: [UInt8], colours: [GifColorType])?
            var transparentIndex: Int32 = -1, sawControlBlock = false
            var width = 0, height = 0
            func unreadable(_ problem: String? = nil) -> InputFileError {
                fail("not a readable GIF: \(problem ?? gifMessage(file.pointee.Error))")
            }
            /// A record that cannot be read: the file is refused before its first frame, read up to here after it.
            func endOfReadableRecords(_ problem: String? = nil) throws {
                if first == nil { throw unreadable(problem) }
            }
            reading: while true {
                var record = UNDEFINED_RECORD_TYPE
                guard DGifGetRecordType(file, &record) == GIF_OK else {
                    try endOfReadableRecords()
                    break
                }
                switch record {
                case IMAGE_DESC_RECORD_TYPE:
                    guard DGifGetImageDesc(file) == GIF_OK else {
                        try endOfReadableRecords()
                        break reading
                    }
                    let descriptor = file.pointee.Image
                    let frameWidth = Int(descriptor.Width), frameHeight = Int(descriptor.Height)
                    guard frameWidth > 0, frameHeight > 0, frameWidth * frameHeight <= largestDecodedPixels else {
                        try endOfReadableRecords("its first frame is \(frameWidth)x\(frameHeight) pixels")
                        break reading
                    }
                    if first == nil {
                        guard let map = descriptor.ColorMap ?? file.pointee.SColorMap else { throw unreadable("its first frame has no colour map") }
                        let colours = Array(UnsafeBufferPointer(start: map.pointee.Colors, count: Int(map.pointee.ColorCount)))
                        // Interlaced rows arrive in four passes: every 8th from 0, every 8th from 4, every 4th from 2,
                        // every 2nd from 1. Memory is touched only as rows arrive: a frame whose data ends early costs
                        // no more than the file holds.
                        let passes = descriptor.Interlace ? [(0, 8), (4, 8), (2, 4), (1, 2)] : [(0, 1)]
                        let indices = try [UInt8](unsafeUninitializedCapacity: frameWidth * frameHeight) { buffer, count in
                            for (start, step) in passes {
                                for row in stride(from: start, to: frameHeight, by: step) {
                                    guard DGifGetLine(file, buffer.baseAddress! + row * frameWidth, Int32(frameWidth)) == GIF_OK else {
                                        throw unreadable()
                                    }
                                }
                            }
                            count = frameWidth * frameHeight
                        }
                        first = (descriptor, indices, colours)
                    } else {
                        // Decoded and dropped, as TensorFlow decodes every frame: one whose pixels end early fails the
                        // file there too. Only a frame read whole counts towards the canvas.
                        var line = [UInt8](repeating: 0, count: frameWidth)
                        for _ in 0..<frameHeight {
                            guard DGifGetLine(file, &line, Int32(frameWidth)) == GIF_OK else {
                                if file.pointee.Error == D_GIF_ERR_EOF_TOO_SOON { throw unreadable() }
                                break reading
                            }
                        }
                    }
                    width = max(width, frameWidth)
                    height = max(height, frameHeight)
                    guard width * height <= largestDecodedPixels else { throw fail("\(width)x\(height) pixels is too large") }
                case EXTENSION_RECORD_TYPE:
                    var code: Int32 = 0
                    var block: UnsafeMutablePointer<GifByteType>?
                    guard DGifGetExtension(file, &code, &block) == GIF_OK else {
                        try endOfReadableRecords()
                        break reading
                    }
                    // The first graphic control block before the first frame says which colour is transparent.
                    if first == nil, code == GRAPHICS_EXT_FUNC_CODE, !sawControlBlock, let block {
                        sawControlBlock = true
                        var control = GraphicsControlBlock()
                        if DGifExtensionToGCB(Int(block[0]), block + 1, &control) == GIF_OK { transparentIndex = control.TransparentColor }
                    }
                    while block != nil {
                        guard DGifGetExtensionNext(file, &block) == GIF_OK else {
                            try endOfReadableRecords()
                            break reading
                        }
                    }
                case TERMINATE_RECORD_TYPE:
                    break reading
                default:
                    break
                }
            }
            guard let first else { throw unreadable("it holds no picture") }
            let left = Int(first.descriptor.Left), top = Int(first.descriptor.Top)
            let frameWidth = Int(first.descriptor.Width)
            var rgb = [UInt8](repeating: 0, count: width * height * 3)
            for row in stride(from: top, to: min(top + Int(first.descriptor.Height), height), by: 1) {
                for column in stride(from: left, to: min(left + frameWidth, width), by: 1) {
                    let index = first.indices[(row - top) * frameWidth + column - left]
                    if Int32(index) == transparentIndex { continue }
                    guard Int(index) < first.colours.count else {
                        throw unreadable("colour \(index) is outside its colour map of \(first.colours.count)")
                    }
                    let colour = first.colours[Int(index)], pixel = 3 * (row * width + column)
                    (rgb[pixel], rgb[pixel + 1], rgb[pixel + 2]) = (colour.Red, colour.Green, colour.Blue)
                }
            }
            return Picture(pixels: arranged(rgb: rgb, alpha: nil, pixelCount: width * height, channels: channels), height: height, width: width,
                           isColour: true, hasAlpha: false)
        }
    }

    private static func gifMessage(_ error: Int32) -> String {
        GifErrorString(error).map { String(cString: $0) } ?? "giflib error \(error)"
    }
}
