import Foundation
@testable import TandemCore

/// A deliberately naive, double-precision forward pass of a `Sequential` model, written straight
/// from the layer definitions (direct loops, no BLAS, no Winograd). Tests use it as an independent
/// reference: its outputs must match the real forward pass, and its finite differences, taken with
/// a step of 1e-8 where float32 rounding and ReLU/max-pool kinks no longer matter, must match the
/// real backward pass.
struct ReferenceModel {
    let model: Sequential

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
        switch layer.specification {
        case let .conv2D(filters, kernelSize, padding, activation):
            let before = padding == .same ? (kernelSize - 1) / 2 : 0
            let kernelCount = kernelSize * kernelSize * inShape.channels * filters
            for row in 0..<outShape.height {
                for column in 0..<outShape.width {
                    for filter in 0..<filters {
                        var sum = weights[kernelCount + filter]
                        for ky in 0..<kernelSize {
                            for kx in 0..<kernelSize {
                                let inputRow = row + ky - before, inputColumn = column + kx - before
                                guard inputRow >= 0, inputRow < inShape.height, inputColumn >= 0, inputColumn < inShape.width else { continue }
                                for channel in 0..<inShape.channels {
                                    sum += input[(inputRow * inShape.width + inputColumn) * inShape.channels + channel]
                                        * weights[((ky * kernelSize + kx) * inShape.channels + channel) * filters + filter]
                                }
                            }
                        }
                        output[(row * outShape.width + column) * filters + filter] = activation == .relu ? max(sum, 0) : sum
                    }
                }
            }
        case let .maxPooling2D(poolSize):
            for row in 0..<outShape.height {
                for column in 0..<outShape.width {
                    for channel in 0..<inShape.channels {
                        var maximum = -Double.infinity
                        for wy in 0..<poolSize {
                            for wx in 0..<poolSize {
                                let position = (row * poolSize + wy) * inShape.width + column * poolSize + wx
                                maximum = max(maximum, input[position * inShape.channels + channel])
                            }
                        }
                        output[(row * outShape.width + column) * inShape.channels + channel] = maximum
                    }
                }
            }
        case .flatten:
            output = input
        case let .dense(units, activation):
            for unit in 0..<units {
                var sum = weights[input.count * units + unit]
                for index in input.indices { sum += input[index] * weights[index * units + unit] }
                output[unit] = activation == .relu ? max(sum, 0) : sum
            }
        }
        return output
    }
}
