import ArgumentParser
import Foundation
import TandemCore

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary", abstract: "Print the model's layers, output shapes and parameter counts, as Keras's model.summary().")

    @OptionGroup var model: ModelOptions

    func run() throws {
        let network = Sequential.tutorial(convolution: model.convolution.algorithm)
        print(ModelSummary(model: network).text)
    }
}

/// Keras-style summary table.
struct ModelSummary {
    let model: Sequential

    var text: String {
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        let rule = String(repeating: "─", count: 78)
        var lines = ["Model: \"sequential\"", rule,
                     pad("Layer (type)", 37) + pad("Output Shape", 24) + "Param #", rule]
        var counts: [String: Int] = [:]
        for layer in model.layers {
            let base = snakeCase(layer.kind)
            counts[base, default: 0] += 1
            let name = counts[base]! == 1 ? base : "\(base)_\(counts[base]! - 1)"
            var kind = layer.kind
            if let convolution = layer as? Conv2D { kind += ", \(convolution.activation.rawValue), \(convolution.algorithm.rawValue)" }
            if let dense = layer as? Dense { kind += ", \(dense.activation.rawValue)" }
            lines.append(pad("\(name) (\(kind))", 37) + pad(layer.outputShape.description, 24) + Format.grouped(layer.parameterCount))
        }
        lines += [rule,
                  "Total params: \(Format.grouped(model.parameterCount)) (\(Format.fixed(Double(model.parameterCount * 4) / 1024, 2)) KB)",
                  "Trainable params: \(Format.grouped(model.parameterCount))",
                  "Non-trainable params: 0",
                  "Forward multiply-adds per image: \(Format.grouped(model.forwardMultiplyAdds)); training FLOPs per image: \(Format.fixed(Double(model.trainingFLOPsPerSample) / 1e6, 1)) M",
                  rule]
        return lines.joined(separator: "\n")
    }

    private func snakeCase(_ kind: String) -> String {
        switch kind {
        case "Conv2D": "conv2d"
        case "MaxPooling2D": "max_pooling2d"
        default: kind.lowercased()
        }
    }
}
