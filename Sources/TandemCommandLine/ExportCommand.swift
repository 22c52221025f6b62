import ArgumentParser
import Foundation
import TandemCore
import TandemData
import TandemInterchange
import TandemMPI
import TandemTraining

extension WeightsFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's model for other tools: Keras (.keras, .weights.h5), ONNX, safetensors.",
        discussion: """
            keras: a .keras archive that keras.saving.load_model() opens as it is. weights-h5: the weights alone, \
            for model.load_weights() on the same model built in Keras. onnx: an ONNX model (opset 17) taking \
            input (batch, height, width, channels) and giving probabilities. safetensors: the weights under their \
            Keras names, the model's Keras JSON in the metadata. The format follows from the output's extension \
            unless --format names it. Examples:
              tandem export --checkpoint runs/a --output model.keras
              tandem export --checkpoint runs/a --output model.onnx
            """)

    @Option(help: ArgumentHelp("A checkpoint file, or a directory (its newest checkpoint).", valueName: "path"))
    var checkpoint: String

    @Option(help: ArgumentHelp("Where to write: .keras, .weights.h5, .onnx or .safetensors.", valueName: "file"))
    var output: String

    @Option(help: ArgumentHelp("keras, weights-h5, onnx or safetensors. (default: from the output's extension)", valueName: "format"))
    var format: WeightsFormat?

    func validate() throws {
        if format == nil, WeightsFormat(path: output) == nil {
            throw ValidationError("--output \(output): name a .keras, .weights.h5, .onnx or .safetensors file, or give --format")
        }
    }

    func run() throws {
        let communicator = SingleProcessCommunicator()
        let restored = RestoredRun.restore(checkpoint, convolution: nil, optimizerState: false, communicator: communicator)
        let format = self.format ?? WeightsFormat(path: output)!
        let output = self.output
        communicator.agree {
            try format.write(model: restored.model, parameters: restored.state.parameters.pointer, data: restored.data, to: output)
        }
        print("Wrote \(output) (\(format.rawValue): model \(restored.model.description.name), epoch \(restored.state.completedEpochs) of \(restored.path))")
    }
}
