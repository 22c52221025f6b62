import ArgumentParser
import Foundation
import TandemCore
import TandemMPI
import TandemTraining

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary", abstract: "Print the model's layers, output shapes and parameter counts, as Keras's model.summary().")

    @OptionGroup var choice: ModelChoiceOptions
    @OptionGroup var model: ModelOptions

    func run() throws {
        let network = SingleProcessCommunicator().agree {
            try choice.model(convolution: model.convolution.algorithm)
        }
        print(ModelSummary(model: network).text)
    }
}

/// Keras-style summary table.
struct ModelSummary {
    let model: Sequential

    var text: String {
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        func title(_ layer: any Layer) -> String {
            "\(layer.name) (\(layer.summaryDetail.isEmpty ? layer.kind : "\(layer.kind), \(layer.summaryDetail)"))"
        }
        let firstColumn = max(37, (model.layers.map { title($0).count }.max() ?? 0) + 2)
        let rule = String(repeating: "─", count: firstColumn + 41)
        var lines = ["Model: \"\(model.description.name)\"", rule,
                     pad("Layer (type)", firstColumn) + pad("Output Shape", 24) + "Param #", rule]
        for layer in model.layers {
            lines.append(pad(title(layer), firstColumn) + pad(layer.outputShape.description, 24) + Format.grouped(layer.parameterCount))
        }
        let trainable = model.layers.reduce(0) { $0 + $1.trainableParameterCount }
        lines += [rule,
                  "Total params: \(Format.grouped(model.parameterCount)) (\(Format.fixed(Double(model.parameterCount * 4) / 1024, 2)) KB)",
                  "Trainable params: \(Format.grouped(trainable))",
                  "Non-trainable params: \(Format.grouped(model.parameterCount - trainable))",
                  "Forward multiply-adds per image: \(Format.grouped(model.forwardMultiplyAdds)); training FLOPs per image: \(Format.fixed(Double(model.trainingFLOPsPerSample) / 1e6, 1)) M",
                  rule]
        return lines.joined(separator: "\n")
    }
}
