import Foundation
import TandemCore
import TandemData

/// The files a trained model can be written as for other tools, and read back from to start training.
package enum WeightsFormat: String, CaseIterable, Sendable {
    /// A `.keras` archive: `keras.saving.load_model(path)`.
    case keras
    /// A bare `.weights.h5`: `model.load_weights(path)` on the same model built in Keras.
    case weightsH5 = "weights-h5"
    /// An ONNX model: `onnxruntime.InferenceSession(path)`.
    case onnx
    /// Keras-named float32 tensors with the model description in the metadata.
    case safetensors

    package var fileExtension: String {
        switch self {
        case .keras: ".keras"
        case .weightsH5: ".weights.h5"
        case .onnx: ".onnx"
        case .safetensors: ".safetensors"
        }
    }

    /// The format a file name implies, if any.
    package init?(path: String) {
        guard let format = Self.allCases.first(where: { path.hasSuffix($0.fileExtension) }) else { return nil }
        self = format
    }

    /// Writes the model and its weights to `path`, whole or not at all: into a temporary file beside it,
    /// then renamed over it. `data`'s class names and picture decoding go into the formats that carry
    /// metadata (ONNX, safetensors, `.keras`).
    package func write(model: Model, parameters: UnsafePointer<Float>, data: DataDescription = DataDescription(), to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        switch self {
        case .keras: try KerasModelArchive.write(model: model, parameters: parameters, data: data, to: temporary)
        case .weightsH5: try KerasWeightsFile.write(model: model, parameters: parameters, to: temporary)
        case .onnx: try write(ONNXExport.encoded(model: model, parameters: parameters, data: data), to: temporary, reportedAs: path)
        case .safetensors: try write(SafetensorsFile.encoded(model: model, parameters: parameters, data: data), to: temporary, reportedAs: path)
        }
        guard rename(temporary, path) == 0 else {
            throw InputFileError(path: path, problem: "cannot be written: \(String(cString: strerror(errno)))")
        }
    }

    private func write(_ bytes: [UInt8], to path: String, reportedAs name: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw InputFileError(path: name, problem: "cannot be written here")
        }
    }

    /// The weights of `model` from a `.keras`, `.weights.h5` or `.safetensors` file (`--initial-weights`).
    package static func readWeights(model: Model, from path: String) throws -> [Float] {
        guard FileManager.default.fileExists(atPath: path) else { throw InputFileError(path: path, problem: "no such file") }
        switch WeightsFormat(path: path) {
        case .keras: return try KerasModelArchive.readWeights(model: model, from: path)
        case .weightsH5: return try KerasWeightsFile.read(model: model, from: path)
        case .safetensors: return try SafetensorsFile.read(model: model, from: path)
        case .onnx, nil:
            throw InputFileError(path: path, problem: "initial weights come from a .keras, .weights.h5 or .safetensors file")
        }
    }
}
