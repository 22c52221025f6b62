import Foundation

/// Images handed to `tandem predict`, converted to a model's input (height × width × channels, HWC,
/// floats; bytes times the model's byte scale, 1/255 or 1): PNG, JPEG, BMP and GIF files (`PictureDecoder`), NumPy `.npy` arrays of one
/// image or a stack of them, and IDX image files. Every conversion made is stated in `conversion`.
package struct PredictionInput {
    /// One image: its name (`file.png`, `file.npy[3]`) and its pixels at the model's input shape.
    package struct Image {
        package let name: String
        package let pixels: [Float]
    }

    package let path: String
    package let images: [Image]
    /// How the file became the model's input (decoded size, colour, resizing, scaling); nil if taken as is.
    package let conversion: String?

    package static let largestFileBytes = 512 << 20

    /// Reads `path` for a model whose input is `height` × `width` × `channels` (1, 3 or 4 for pictures),
    /// multiplying bytes by `byteScale` (`Model.byteScale`); pictures as `pictures` (a model trained on
    /// folders of pictures: how its checkpoint says they were read), else bilinearly stretched.
    package init(path: String, height: Int, width: Int, channels: Int, byteScale: Float = 1 / 255, pictures: PictureSettings? = nil) throws {
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
        } else if let format = PictureDecoder.format(bytes) {
            guard PictureSettings.ColourMode(channels: channels) != nil else {
                throw fail("the model takes \(channels) channels; a picture gives 1 (grey), 3 (RGB) or 4 (RGBA)")
            }
            let decoded = try PictureDecoder.decode(bytes, channels: channels, fail: fail)
            let settings = pictures ?? PictureSettings(height: height, width: width, channels: channels)
            images = [Image(name: name, pixels: settings.convert(decoded.pixels, height: decoded.height, width: decoded.width).map { Float($0) * byteScale })]
            var steps = ["\(format) \(decoded.width)x\(decoded.height) \(decoded.isColour ? "RGB" : "grey")\(decoded.hasAlpha ? " with alpha" : "")"]
            if decoded.isColour && channels == 1 { steps.append("converted to grey") }
            if !decoded.isColour && channels > 1 { steps.append("grey repeated in R, G, B") }
            if decoded.hasAlpha && channels < 4 { steps.append("alpha dropped") }
            if !decoded.hasAlpha && channels == 4 { steps.append("opaque alpha added") }
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
            throw fail("is not a PNG, JPEG, BMP, GIF, .npy or IDX image file")
        }
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
