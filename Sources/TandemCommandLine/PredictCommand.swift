import ArgumentParser
import Foundation
import TandemCore
import TandemData
import TandemMPI
import TandemTraining

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify images with a checkpoint: PNG, JPEG, BMP and GIF files, NumPy .npy arrays, IDX image files.",
        discussion: """
            Pictures are converted to the model's input (grey, RGB or RGBA, resized as the checkpoint's data was, scaled by 1/255, or \
            taken as 0-255 by a model that starts with Rescaling) and the conversion is stated; a uint8 .npy or \
            IDX file is scaled the same way, a float .npy taken as is. \
            Prints the top-k classes with their probabilities, or one record per image with --json or --csv. \
            Examples:
              tandem predict --checkpoint runs/a shoe.png
              tandem predict --checkpoint runs/a --csv images.npy > predictions.csv
            """)

    @Option(help: ArgumentHelp("A checkpoint file, or a directory (its newest checkpoint).", valueName: "path"))
    var checkpoint: String

    @Argument(help: ArgumentHelp("Images: .png, .jpg/.jpeg, .bmp, .gif, .npy (one image or a stack), IDX image files.", valueName: "input"))
    var inputs: [String]

    @Option(help: ArgumentHelp("How many of the most probable classes to give.", valueName: "k"))
    var topK = 3

    @Flag(help: "One JSON object per image (JSON Lines): input, class, name, probability, top_k.")
    var json = false

    @Flag(help: "CSV with a header: input, class, name, probability.")
    var csv = false

    @Option(help: ArgumentHelp("Class names, one per line in label order (default: the checkpoint's, from its folders of pictures; Fashion-MNIST's for a 28x28x1 model with 10 classes; otherwise class 0, class 1, …).",
                               valueName: "file"))
    var classNames: String?

    @OptionGroup var convolution: ConvolutionOptions

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("name at least one image file to classify") }
        if topK < 1 { throw ValidationError("--top-k must be at least 1, not \(topK)") }
        if json && csv { throw ValidationError("--json and --csv: choose one") }
    }

    func run() throws {
        let communicator = SingleProcessCommunicator()
        let restored = RestoredRun.restore(checkpoint, convolution: convolution.algorithm, optimizerState: false, communicator: communicator)
        let network = restored.model
        // Every input is read and checked before anything is printed; a bad one ends the run with one line.
        let (names, files) = communicator.agree {
            (try restored.predictionClassNames(file: classNames), try inputs.map(restored.predictionInput))
        }
        try predict(files, model: network, parameters: restored.state.parameters.pointer, names: names,
                    blockSize: restored.microBatchSize)
    }

    /// Prints each image's most probable classes, computed in the checkpoint's canonical blocks.
    private func predict(_ files: [PredictionInput], model: Model, parameters: UnsafeMutablePointer<Float>, names: [String],
                         blockSize: Int) throws {
        let images = files.flatMap { file in file.images.map { (file, $0) } }
        let probabilities = Prediction.probabilities(of: images.map(\.1.pixels), model: model, parameters: parameters, blockSize: blockSize)
        let k = min(topK, model.classCount)
        if csv { print("input,class,name,probability") }
        var printedConversion: String?
        for ((file, image), probabilities) in zip(images, probabilities) {
            if let conversion = file.conversion, !json, !csv, printedConversion != file.path {
                print("\(file.path): \(conversion)")
                printedConversion = file.path
            }
            let top = Array(Prediction.ranked(probabilities).prefix(k))
            if json {
                let record: [String: Any] = [
                    "input": image.name, "class": top[0], "name": names[top[0]], "probability": Double(probabilities[top[0]]),
                    "top_k": top.map { ["class": $0, "name": names[$0], "probability": Double(probabilities[$0])] as [String: Any] },
                ]
                print(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
            } else if csv {
                print([Self.csvField(image.name), "\(top[0])", Self.csvField(names[top[0]]), "\(probabilities[top[0]])"].joined(separator: ","))
            } else {
                print("\(image.name): " + top.map { "\(names[$0]) \(Format.fixed(Double(probabilities[$0]), 4))" }.joined(separator: ", "))
            }
        }
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { ",\"\n\r".contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
