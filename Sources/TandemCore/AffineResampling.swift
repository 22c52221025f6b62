/// Where an output pixel `(x, y)` reads its input: `(a0·x + a1·y + a2, b0·x + b1·y + b2)` (Keras's
/// transform `[a0, a1, a2, b0, b1, b2, 0, 0]`).
package struct AffineTransform: Sendable, Equatable {
    package var a0, a1, a2, b0, b1, b2: Float

    package init(a0: Float, a1: Float, a2: Float, b0: Float, b1: Float, b2: Float) {
        (self.a0, self.a1, self.a2, self.b0, self.b1, self.b2) = (a0, a1, a2, b0, b1, b2)
    }
}

/// How Keras's image augmentations (`RandomTranslation`, `RandomRotation`) read an image back after a
/// geometric transform: TensorFlow's `ImageProjectiveTransformV3`, with its interpolations and fill modes.
package struct AffineResampling: Sendable, Equatable {
    package enum FillMode: String, Sendable { case reflect, wrap, nearest, constant }
    package enum Interpolation: String, Sendable { case bilinear, nearest }

    package let shape: TensorShape
    package let fillMode: FillMode
    package let interpolation: Interpolation
    package let fillValue: Float

    package init(shape: TensorShape, fillMode: FillMode = .reflect, interpolation: Interpolation = .bilinear, fillValue: Float = 0) {
        self.shape = shape
        self.fillMode = fillMode
        self.interpolation = interpolation
        self.fillValue = fillValue
    }

    /// Reads `fill_mode`, `interpolation` and `fill_value` as Keras's augmentation layers write them.
    init(keras configuration: KerasLayerConfiguration, shape: TensorShape) throws {
        self.init(shape: shape,
                  fillMode: FillMode(rawValue: try configuration.choice("fill_mode", default: "reflect",
                                                                       allowed: ["reflect", "wrap", "nearest", "constant"]))!,
                  interpolation: Interpolation(rawValue: try configuration.choice("interpolation", default: "bilinear",
                                                                                allowed: ["bilinear", "nearest"]))!,
                  fillValue: Float(try configuration.number("fill_value", default: 0, in: -1e30...1e30)))
    }

    /// One image through `transform`.
    package func resample(_ input: UnsafePointer<Float>, transform: AffineTransform, into output: UnsafeMutablePointer<Float>) {
        let (height, width, channels) = (shape.height, shape.width, shape.channels)
        let (a0, a1, a2, b0, b1, b2) = (transform.a0, transform.a1, transform.a2, transform.b0, transform.b1, transform.b2)
        func pixel(_ row: Int, _ column: Int, _ channel: Int) -> Float {
            guard row >= 0, row < height, column >= 0, column < width else { return fillValue }
            return input[(row * width + column) * channels + channel]
        }
        for row in 0..<height {
            for column in 0..<width {
                let (outputX, outputY) = (Float(column), Float(row))
                let x = map(a0 * outputX + a1 * outputY + a2, length: width)
                let y = map(b0 * outputX + b1 * outputY + b2, length: height)
                let destination = output + (row * width + column) * channels
                switch interpolation {
                case .nearest:
                    let (sourceRow, sourceColumn) = (Int(y.rounded()), Int(x.rounded()))
                    for channel in 0..<channels { destination[channel] = pixel(sourceRow, sourceColumn, channel) }
                case .bilinear:
                    let (top, left) = (Int(y.rounded(.down)), Int(x.rounded(.down)))
                    let (down, right) = (y - Float(top), x - Float(left))
                    for channel in 0..<channels {
                        let upper = (1 - right) * pixel(top, left, channel) + right * pixel(top, left + 1, channel)
                        let lower = (1 - right) * pixel(top + 1, left, channel) + right * pixel(top + 1, left + 1, channel)
                        destination[channel] = (1 - down) * upper + down * lower
                    }
                }
            }
        }
    }

    /// A source coordinate outside `0…length−1` mapped as the fill mode says (TensorFlow's
    /// `map_coordinate`); `constant` leaves it outside, to be read as the fill value.
    func map(_ coordinate: Float, length: Int) -> Float {
        let size = Float(length)
        switch fillMode {
        case .constant:
            return coordinate
        case .nearest:
            return min(max(coordinate, 0), size - 1)
        case .reflect:
            guard length > 1 else { return 0 }
            var value = coordinate
            let period = 2 * size
            if value < 0 {
                if value < -period { value += period * Float(Int(-value / period)) }
                value = value < -size ? value + period : -value - 1
            } else if value > size - 1 {
                value -= period * Float(Int(value / period))
                if value >= size { value = period - value - 1 }
            }
            return min(max(value, 0), size - 1)
        case .wrap:
            guard length > 1 else { return 0 }
            var value = coordinate
            if value < 0 {
                value += size * Float(Int(-value / (size - 1)) + 1)
            } else if value > size - 1 {
                value -= size * Float(Int(value / (size - 1)))
            }
            return min(max(value, 0), size - 1)
        }
    }
}
