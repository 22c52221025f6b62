/// How a picture becomes a model's input, as Keras's `image_dataset_from_directory` makes it: grey,
/// RGB or RGBA, resized to the input's size by `interpolation` (TensorFlow's `tf.image.resize`, half-pixel
/// centres, no antialiasing), the whole picture stretched, or first cropped to the input's aspect ratio
/// (`crop_to_aspect_ratio`, Keras's `smart_resize`), or fitted inside it and padded with zeros
/// (`pad_to_aspect_ratio`, `tf.image.resize_with_pad`); then rounded to bytes, which Keras does not do
/// (its floats are within 0.5 of Tandem's bytes).
package struct PictureSettings: Codable, Equatable, Sendable {
    package enum Interpolation: String, Codable, CaseIterable, Sendable { case bilinear, nearest }
    package enum AspectRatio: String, Codable, CaseIterable, Sendable { case stretch, crop, pad }

    package var height: Int
    package var width: Int
    /// 1 (grey), 3 (RGB) or 4 (RGBA): Keras's `color_mode` grayscale, rgb, rgba.
    package var channels: Int
    package var interpolation = Interpolation.bilinear
    package var aspectRatio = AspectRatio.stretch

    package init(height: Int, width: Int, channels: Int, interpolation: Interpolation = .bilinear, aspectRatio: AspectRatio = .stretch) {
        self.height = height
        self.width = width
        self.channels = channels
        self.interpolation = interpolation
        self.aspectRatio = aspectRatio
    }

    /// `16x16 RGB, bilinear, cropped to the aspect ratio, rounded to bytes`.
    package var description: String {
        "\(height)x\(width) \(colourMode), \(resizing), rounded to bytes"
    }

    /// `grey`, `RGB` or `RGBA`.
    var colourMode: String { ColourMode(channels: channels)?.name ?? "\(channels) channels" }

    /// Keras's `color_mode`: the channels a picture is read in (`grayscale` 1, `rgb` 3, `rgba` 4).
    package enum ColourMode: String, CaseIterable, Sendable {
        case grayscale, rgb, rgba

        package var channels: Int {
            switch self {
            case .grayscale: 1
            case .rgb: 3
            case .rgba: 4
            }
        }

        /// `grey`, `RGB`, `RGBA`.
        var name: String { self == .grayscale ? "grey" : rawValue.uppercased() }

        /// The mode a model's input of `channels` channels reads pictures in; nil for another count.
        package init?(channels: Int) {
            guard let mode = Self.allCases.first(where: { $0.channels == channels }) else { return nil }
            self = mode
        }
    }

    /// `bilinear`, `nearest, padded to the aspect ratio`.
    var resizing: String {
        switch aspectRatio {
        case .stretch: interpolation.rawValue
        case .crop: interpolation.rawValue + ", cropped to the aspect ratio"
        case .pad: interpolation.rawValue + ", padded to the aspect ratio"
        }
    }

    /// For a cache file's name: `16x16x3-bilinear-stretch`.
    var fileNamePart: String { "\(height)x\(width)x\(channels)-\(interpolation.rawValue)-\(aspectRatio.rawValue)" }

    /// A decoded picture (`channels` channels) as the input's bytes.
    func convert(_ pixels: [UInt8], height sourceHeight: Int, width sourceWidth: Int) -> [UInt8] {
        let resized: [Float]
        switch aspectRatio {
        case .stretch:
            resized = resize(pixels, from: (sourceHeight, sourceWidth), to: (height, width))
        case .crop:
            // smart_resize on a tensor of unknown shape: float32 arithmetic, truncated.
            let cropHeight = max(min(sourceHeight, Int(Float(sourceWidth * height) / Float(width))), 1)
            let cropWidth = max(min(sourceWidth, Int(Float(sourceHeight * width) / Float(height))), 1)
            let top = Int(Float(sourceHeight - cropHeight) / 2), left = Int(Float(sourceWidth - cropWidth) / 2)
            var cropped: [UInt8] = []
            cropped.reserveCapacity(cropHeight * cropWidth * channels)
            for row in top..<top + cropHeight {
                let start = (row * sourceWidth + left) * channels
                cropped += pixels[start..<start + cropWidth * channels]
            }
            resized = resize(cropped, from: (cropHeight, cropWidth), to: (height, width))
        case .pad:
            // tf.image.resize_with_pad, in float32.
            let ratio = max(Float(sourceWidth) / Float(width), Float(sourceHeight) / Float(height))
            let innerHeightFloat = Float(sourceHeight) / ratio, innerWidthFloat = Float(sourceWidth) / ratio
            let innerHeight = Int(innerHeightFloat.rounded(.down)), innerWidth = Int(innerWidthFloat.rounded(.down))
            let top = max(0, Int(((Float(height) - innerHeightFloat) / 2).rounded(.down)))
            let left = max(0, Int(((Float(width) - innerWidthFloat) / 2).rounded(.down)))
            let inner = resize(pixels, from: (sourceHeight, sourceWidth), to: (innerHeight, innerWidth))
            var padded = [Float](repeating: 0, count: height * width * channels)
            for row in 0..<innerHeight {
                for column in 0..<innerWidth {
                    for channel in 0..<channels {
                        padded[((top + row) * width + left + column) * channels + channel] = inner[(row * innerWidth + column) * channels + channel]
                    }
                }
            }
            resized = padded
        }
        return resized.map { UInt8(max(0, min(255, $0.rounded()))) }
    }

    /// `tf.image.resize` (half-pixel centres, no antialiasing) by `interpolation`.
    private func resize(_ pixels: [UInt8], from source: (height: Int, width: Int), to target: (height: Int, width: Int)) -> [Float] {
        if source == target { return pixels.map(Float.init) }
        var output = [Float](repeating: 0, count: target.height * target.width * channels)
        func at(_ row: Int, _ column: Int, _ channel: Int) -> Float { Float(pixels[(row * source.width + column) * channels + channel]) }
        switch interpolation {
        case .nearest:
            let scaleY = Float(source.height) / Float(target.height), scaleX = Float(source.width) / Float(target.width)
            for y in 0..<target.height {
                let sourceY = min(Int(((Float(y) + 0.5) * scaleY).rounded(.down)), source.height - 1)
                for x in 0..<target.width {
                    let sourceX = min(Int(((Float(x) + 0.5) * scaleX).rounded(.down)), source.width - 1)
                    for channel in 0..<channels { output[(y * target.width + x) * channels + channel] = at(sourceY, sourceX, channel) }
                }
            }
        case .bilinear:
            let scaleY = Double(source.height) / Double(target.height), scaleX = Double(source.width) / Double(target.width)
            for y in 0..<target.height {
                let sourceY = min(max((Double(y) + 0.5) * scaleY - 0.5, 0), Double(source.height - 1))
                let y0 = Int(sourceY), y1 = min(y0 + 1, source.height - 1), fy = Float(sourceY - Double(y0))
                for x in 0..<target.width {
                    let sourceX = min(max((Double(x) + 0.5) * scaleX - 0.5, 0), Double(source.width - 1))
                    let x0 = Int(sourceX), x1 = min(x0 + 1, source.width - 1), fx = Float(sourceX - Double(x0))
                    for channel in 0..<channels {
                        let top = at(y0, x0, channel) + (at(y0, x1, channel) - at(y0, x0, channel)) * fx
                        let bottom = at(y1, x0, channel) + (at(y1, x1, channel) - at(y1, x0, channel)) * fx
                        output[(y * target.width + x) * channels + channel] = top + (bottom - top) * fy
                    }
                }
            }
        }
        return output
    }
}
