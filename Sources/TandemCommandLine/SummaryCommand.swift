import ArgumentParser
import Foundation
import TandemCore
import TandemMPI
import TandemTraining

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary", abstract: "Print the model's layers, output shapes and parameter counts, as Keras's model.summary().")

    @OptionGroup var choice: ModelChoiceOptions
    @OptionGroup var convolution: ConvolutionOptions

    func run() throws {
        let network = SingleProcessCommunicator().agree {
            try choice.model(convolution: convolution.algorithm)
        }
        print(ModelSummary(model: network).text)
    }
}

/// Keras-style summary table; a graph model also says what each layer is connected to, as Keras's
/// summary of a Functional model does.
struct ModelSummary {
    let model: Model

    var text: String {
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        func title(_ layer: any Layer) -> String {
            // A binary classifier's last sigmoid is computed by the loss; the file's layer has it.
            let detail = model.output == .probability && layer.name == model.layers.last!.name ? "sigmoid" : layer.summaryDetail
            return "\(layer.name) (\(detail.isEmpty ? layer.kind : "\(layer.kind), \(detail)"))"
        }
        let firstColumn = max(37, (model.layers.map { title($0).count }.max() ?? 0) + 2)
        let isGraph = !model.description.isChain
        let names = ["input_layer"] + model.layers.map(\.name)
        let rule = String(repeating: "─", count: firstColumn + (isGraph ? 75 : 41))
        var lines = ["Model: \"\(model.description.name)\"", rule,
                     pad("Layer (type)", firstColumn) + pad("Output Shape", 24) + (isGraph ? pad("Param #", 14) + "Connected to" : "Param #"), rule]
        for (index, layer) in model.layers.enumerated() {
            var line = pad(title(layer), firstColumn) + pad(layer.outputShape.description, 24)
            if isGraph {
                line += pad(Format.grouped(layer.parameterCount), 14) + model.layerInputs[index].map { names[$0] }.joined(separator: ", ")
            } else {
                line += Format.grouped(layer.parameterCount)
            }
            lines.append(line)
        }
        let trainable = model.trainableParameterCount
        lines += [rule,
                  "Total params: \(Format.grouped(model.parameterCount)) (\(Format.fixed(Double(model.parameterCount * 4) / 1024, 2)) KB)",
                  "Trainable params: \(Format.grouped(trainable))",
                  "Non-trainable params: \(Format.grouped(model.parameterCount - trainable))",
                  "Forward multiply-adds per image: \(Format.grouped(model.forwardMultiplyAdds)); training FLOPs per image: \(Format.fixed(Double(model.trainingFLOPsPerSample) / 1e6, 1)) M",
                  rule]
        return lines.joined(separator: "\n")
    }
}
