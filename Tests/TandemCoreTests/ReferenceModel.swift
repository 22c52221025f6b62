import Foundation
@testable import TandemCore

/// A deliberately naive, double-precision forward pass of a `Sequential` model, written straight
/// from the layer definitions (direct loops, no BLAS, no Winograd). Tests use it as an independent
/// reference: its outputs must match the real forward pass, and its finite differences, taken with
/// a step of 1e-8 where float32 rounding and ReLU/max-pool kinks no longer matter, must match the
/// real backward pass.
struct ReferenceModel {
    let model: Model

    func loss(parameters: [Double], input: [Double], label: Int) -> Double {
        let logits = self.logits(parameters: parameters, input: input)
        let maximum = logits.max()!
        let sum = logits.reduce(0) { $0 + Foundation.exp($1 - maximum) }
        return Foundation.log(sum) + maximum - logits[label]
    }

    func logits(parameters: [Double], input: [Double]) -> [Double] {
        var values = input
        for (index, layer) in model.layers.enumerated() {
            let offset = model.parameterOffsets[index]
            let weights = Array(parameters[offset..<offset + layer.parameterCount])
            values = apply(layer, weights: weights, to: values)
        }
        return values
    }

    private func apply(_ layer: any Layer, weights: [Double], to input: [Double]) -> [Double] {
        let inShape = layer.inputShape, outShape = layer.outputShape
        var output = [Double](repeating: 0, count: outShape.count)
        func activate(_ value: Double, _ activation: Activation) -> Double {
            switch activation {
            case .linear: value
            case .relu: max(value, 0)
            case .sigmoid: 1 / (1 + Foundation.exp(-value))
            case .tanh: Foundation.tanh(value)
            }
        }
        switch layer {
        case let convolution as Conv2D:
            let filters = convolution.filters, kernel = convolution.kernelSize, strides = convolution.strides
            let kernelCount = kernel.area * inShape.channels * filters
            for row in 0..<outShape.height {
                for column in 0..<outShape.width {
                    for filter in 0..<filters {
                        var sum = convolution.useBias ? weights[kernelCount + filter] : 0
                        for ky in 0..<kernel.height {
                            for kx in 0..<kernel.width {
                                let inputRow = row * strides.height + ky - convolution.windows.paddingTop
                                let inputColumn = column * strides.width + kx - convolution.windows.paddingLeft
                                guard inputRow >= 0, inputRow < inShape.height, inputColumn >= 0, inputColumn < inShape.width else { continue }
                                for channel in 0..<inShape.channels {
                                    sum += input[(inputRow * inShape.width + inputColumn) * inShape.channels + channel]
                                        * weights[((ky * kernel.width + kx) * inShape.channels + channel) * filters + filter]
                                }
                            }
                        }
                        output[(row * outShape.width + column) * filters + filter] = activate(sum, convolution.activation)
                    }
                }
            }
        case let pooling as MaxPooling2D:
            let windows = pooling.windows
            for row in 0..<outShape.height {
                for column in 0..<outShape.width {
                    for channel in 0..<inShape.channels {
                        var maximum = -Double.infinity
                        for y in windows.rows(row) {
                            for x in windows.columns(column) { maximum = max(maximum, input[(y * inShape.width + x) * inShape.channels + channel]) }
                        }
                        output[(row * outShape.width + column) * inShape.channels + channel] = maximum
                    }
                }
            }
        case is Flatten:
            output = input
        case let dense as Dense:
            for unit in 0..<dense.units {
                var sum = dense.useBias ? weights[input.count * dense.units + unit] : 0
                for index in input.indices { sum += input[index] * weights[index * dense.units + unit] }
                output[unit] = activate(sum, dense.activation.hidden)
            }
        default:
            fatalError("ReferenceModel has no \(layer.kind)")
        }
        return output
    }
}
