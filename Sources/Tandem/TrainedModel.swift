import TandemCore
import TandemData
import TandemInterchange
import TandemMPI
import TandemTraining

/// A model brought back from a checkpoint, in this process: evaluated, asked for predictions, exported.
///
/// ```swift
/// let trained = try TrainedModel(checkpoint: "runs/a")
/// print(try trained.evaluate().accuracy)
/// for prediction in try trained.predict(["shoe.png"]) { print(prediction) }
/// try trained.export(to: "model.onnx")
/// ```
public final class TrainedModel {
    private let restored: RestoredRun

    /// Reads `checkpoint`: a file, or a directory's newest usable checkpoint.
    public init(checkpoint: String) throws {
        do {
            restored = try RestoredRun.restoring(checkpoint, convolution: nil, optimizerState: false,
                                             communicator: SingleProcessCommunicator())
        } catch let failure as StartupFailure {
            throw TandemError(failure.description)
        }
    }

    /// The checkpoint file read.
    public var checkpoint: String { restored.path }
    /// The epochs it was trained for.
    public var epochs: Int { restored.state.completedEpochs }
    /// The sha256 of its parameters, as `tandem train` prints it.
    public var parameterDigest: String { restored.state.parameterDigest }
    /// The classes' names: those of the folders of pictures it was trained on, Fashion-MNIST's for a
    /// model of its shape, else `class 0`, `class 1`, … (as `tandem predict` names them).
    public var classNames: [String] {
        (try? restored.predictionClassNames(file: nil)) ?? []   // without a file, nothing is read
    }

    /// The loss and accuracy on `data`'s test set (or, with `validationSplit`, the training data held out
    /// as the run held it out), in the blocks the run evaluated in: the figures `tandem evaluate` gives.
    /// `data` nil is Debian's Fashion-MNIST (`/usr/share/datasets/fashion-mnist`).
    public func evaluate(data: String? = nil, validationSplit: Double? = nil) throws -> EvaluationSummary {
        var source = DataSource(path: data ?? DatasetDirectory.defaultPath)
        source.validationSplit = validationSplit
        do {
            let (evaluator, _) = try restored.evaluator(on: source, communicator: SingleProcessCommunicator(), threads: WorkerThreads(count: 1))
            return EvaluationSummary(evaluator.evaluate(parameters: restored.state.parameters.pointer))
        } catch let failure as StartupFailure {
            throw TandemError(failure.description)
        }
    }

    /// Each picture (PNG, JPEG, BMP, GIF), `.npy` image or stack, or IDX image file's predictions, converted
    /// to the model's input as its training data was.
    public func predict(_ paths: [String]) throws -> [PredictionSummary] {
        let model = restored.model
        let inputs: [PredictionInput]
        do {
            inputs = try paths.map(restored.predictionInput)
        } catch {
            throw TandemError("\(error)")
        }
        let images = inputs.flatMap(\.images)
        let probabilities = Prediction.probabilities(of: images.map(\.pixels), model: model, parameters: restored.state.parameters.pointer,
                                                     blockSize: restored.microBatchSize)
        let names = classNames
        return zip(images, probabilities).map { image, probabilities in
            PredictionSummary(input: image.name, ranked: Prediction.ranked(probabilities).map { (names[$0], probabilities[$0]) })
        }
    }

    /// Writes the model and its weights as `.keras`, `.weights.h5`, `.onnx` or `.safetensors`, by `path`'s extension.
    public func export(to path: String) throws {
        guard let format = WeightsFormat(path: path) else {
            throw TandemError("\(path): name a .keras, .weights.h5, .onnx or .safetensors file")
        }
        do {
            try format.write(model: restored.model, parameters: restored.state.parameters.pointer, data: restored.data, to: path)
        } catch {
            throw TandemError("\(error)")
        }
    }
}

/// One image's classes, from the most probable down.
public struct PredictionSummary: Sendable, CustomStringConvertible {
    /// The file, or `file.npy[3]` for one image of a stack.
    public let input: String
    /// Every class's name and probability, the most probable first.
    public let ranked: [(name: String, probability: Float)]

    /// `shoe.png: Ankle boot 0.9721, Sneaker 0.0204, Sandal 0.0061`.
    public var description: String {
        "\(input): " + ranked.prefix(3).map { "\($0.name) \(Format.fixed(Double($0.probability), 4))" }.joined(separator: ", ")
    }
}
