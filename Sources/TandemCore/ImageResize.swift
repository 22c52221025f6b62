import Foundation

/// TensorFlow's image resize without antialiasing (`tf.image.resize`, which Keras's `Resizing` and
/// `UpSampling2D(interpolation="bilinear")` call), half-pixel centres: output row `y` reads input
/// position `(y + 0.5) · in / out − 0.5`, in float32 as TensorFlow computes it. Bilinear interpolates the
/// two rows and columns around it (clamped at the border); nearest takes `⌊(y + 0.5) · in / out⌋`.
/// Shared by the layers that resize, with forward and backward side by side.
package struct ImageResize: Sendable {
    package enum Interpolation: String, Sendable, CaseIterable {
        case bilinear, nearest
    }

    /// Per output row (or column): the two input rows it reads and the weight of the second.
    struct Taps: Sendable {
        var lower: [Int] = [], upper: [Int] = []
        var fraction: [Float] = []

        init(input: Int, output: Int, interpolation: Interpolation) {
            let scale = Float(input) / Float(output)
            for index in 0..<output {
                switch interpolation {
                case .bilinear:
                    let position = (Float(index) + 0.5) * scale - 0.5
                    let below = position.rounded(.down)
                    lower.append(max(Int(below), 0))
                    upper.append(min(Int(position.rounded(.up)), input - 1))
                    fraction.append(position - below)
                case .nearest:
                    let source = min(Int(((Float(index) + 0.5) * scale).rounded(.down)), input - 1)
                    lower.append(source)
                    upper.append(source)
                    fraction.append(0)
                }
            }
        }
    }

    package let input: TensorShape
    package let output: TensorShape
    let rows: Taps
    let columns: Taps

    init(input: TensorShape, outputHeight: Int, outputWidth: Int, interpolation: Interpolation) {
        self.input = input
        output = TensorShape(height: outputHeight, width: outputWidth, channels: input.channels)
        rows = Taps(input: input.height, output: outputHeight, interpolation: interpolation)
        columns = Taps(input: input.width, output: outputWidth, interpolation: interpolation)
    }

    /// TensorFlow's `ResizeBilinear`: `top = tl + (tr − tl)·x`, `bottom = bl + (br − bl)·x`,
    /// `out = top + (bottom − top)·y` (nearest is the case of no fractions).
    func forward(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        let channels = input.channels
        for sample in 0..<count {
            let image = source + sample * input.count, result = target + sample * output.count
            for y in 0..<output.height {
                let top = image + rows.lower[y] * input.width * channels, bottom = image + rows.upper[y] * input.width * channels
                let yFraction = rows.fraction[y]
                for x in 0..<output.width {
                    let left = columns.lower[x] * channels, right = columns.upper[x] * channels, xFraction = columns.fraction[x]
                    let out = result + (y * output.width + x) * channels
                    for channel in 0..<channels {
                        let upper = top[left + channel] + (top[right + channel] - top[left + channel]) * xFraction
                        let lower = bottom[left + channel] + (bottom[right + channel] - bottom[left + channel]) * xFraction
                        out[channel] = upper + (lower - upper) * yFraction
                    }
                }
            }
        }
    }

    /// The transpose: each output gradient spread over its four taps with their weights, in output order.
    func backward(_ gradient: UnsafePointer<Float>, into inputGradient: UnsafeMutablePointer<Float>, count: Int) {
        let channels = input.channels
        inputGradient.update(repeating: 0, count: count * input.count)
        for sample in 0..<count {
            let image = inputGradient + sample * input.count, incoming = gradient + sample * output.count
            for y in 0..<output.height {
                let top = image + rows.lower[y] * input.width * channels, bottom = image + rows.upper[y] * input.width * channels
                let yFraction = rows.fraction[y]
                for x in 0..<output.width {
                    let left = columns.lower[x] * channels, right = columns.upper[x] * channels, xFraction = columns.fraction[x]
                    let g = incoming + (y * output.width + x) * channels
                    for channel in 0..<channels {
                        let upper = g[channel] * (1 - yFraction), lower = g[channel] * yFraction
                        top[left + channel] += upper * (1 - xFraction)
                        top[right + channel] += upper * xFraction
                        bottom[left + channel] += lower * (1 - xFraction)
                        bottom[right + channel] += lower * xFraction
                    }
                }
            }
        }
    }
}
