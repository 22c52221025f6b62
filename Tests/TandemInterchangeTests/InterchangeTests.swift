import Foundation
import Testing
import TandemCore
import TandemData
@testable import TandemInterchange

/// The files other tools read: names as Keras's saving code gives them, weights that come back bit for
/// bit, damaged files refused with one line. (That Keras, h5py, safetensors and ONNX Runtime read them
/// is checked on the real tools by the integration tests and Launch/keras_export_check.py.)
struct InterchangeTests {
    /// Convolutions (same and valid), batch-norm (with moving statistics), pooling, flatten, dense.
    static let model: Model = {
        let base = try! ModelDescription(compact:
            "input(8,8,3) conv2d(4,3,same,relu) maxpool(2) conv2d(4,3,valid,linear) flatten dense(6,relu) dense(3,softmax)")
        var layers = base.layers
        layers.insert(KerasLayerConfiguration(className: "BatchNormalization", name: "batch_normalization",
                                              config: ["name": .string("batch_normalization")]), at: 1)
        return try! Model(description: ModelDescription(name: "interchange_test", inputShape: base.inputShape, layers: layers))
    }()

    static func parameters(_ model: Model, seed: UInt64 = 5) -> [Float] {
        var values = [Float](repeating: 0, count: model.parameterCount)
        values.withUnsafeMutableBufferPointer { model.initializeParameters($0, seed: seed) }
        // Moving statistics and biases start as constants; make every value distinct.
        for index in values.indices { values[index] += Float(index) * 1e-4 }
        return values
    }

    static func temporaryPath(_ name: String) -> String { NSTemporaryDirectory() + "tandem-\(UUID().uuidString)-" + name }

    @Test("Keras's to_snake_case: class names become store paths as saving_lib writes them")
    func snakeCase() {
        let cases = ["Conv2D": "conv2d", "BatchNormalization": "batch_normalization", "ReLU": "re_lu", "Dense": "dense",
                     "GlobalAveragePooling2D": "global_average_pooling2d", "MaxPooling2D": "max_pooling2d", "RandomFlip": "random_flip"]
        for (className, expected) in cases { #expect(KerasWeightNames.snakeCase(className) == expected, "\(className)") }
    }

    @Test("Store paths are numbered per class in model order; tensors follow get_weights() order and tile the flat buffer")
    func weightNames() {
        let names = KerasWeightNames(model: Self.model)
        #expect(names.layers.map(\.storePath) == ["conv2d", "batch_normalization", "max_pooling2d", "conv2d_1", "flatten", "dense", "dense_1"])
        #expect(names.tensors.map(\.variable) == ["kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance",
                                                  "kernel", "bias", "kernel", "bias", "kernel", "bias"])
        var offset = 0
        for tensor in names.tensors {
            #expect(tensor.offset == offset)
            offset += tensor.count
        }
        #expect(offset == Self.model.parameterCount)
    }

    @Test("safetensors: written and read back bit for bit; the header is the format's (8-byte length, JSON, aligned data)")
    func safetensorsRoundTrip() throws {
        let parameters = Self.parameters(Self.model)
        let bytes = parameters.withUnsafeBufferPointer { SafetensorsFile.encoded(model: Self.model, parameters: $0.baseAddress!) }
        let headerLength = Int(bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect((8 + headerLength) % 8 == 0)
        #expect(bytes.count == 8 + headerLength + 4 * parameters.count)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<8 + headerLength])) as? [String: Any])
        let metadata = try #require(header["__metadata__"] as? [String: String])
        #expect(try ModelDescription(json: #require(metadata["keras_model"]), source: "metadata") == Self.model.description)
        let kernel = try #require(header["conv2d/kernel"] as? [String: Any])
        #expect(kernel["shape"] as? [Int] == [3, 3, 3, 4] && kernel["dtype"] as? String == "F32")

        let path = Self.temporaryPath("weights.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let read = try SafetensorsFile.read(model: Self.model, from: path)
        #expect(read.map(\.bitPattern) == parameters.map(\.bitPattern))
    }

    @Test(".weights.h5 through libhdf5: written and read back bit for bit")
    func kerasWeightsRoundTrip() throws {
        let parameters = Self.parameters(Self.model)
        let path = Self.temporaryPath("model.weights.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try parameters.withUnsafeBufferPointer { try KerasWeightsFile.write(model: Self.model, parameters: $0.baseAddress!, to: path) }
        let read = try KerasWeightsFile.read(model: Self.model, from: path)
        #expect(read.map(\.bitPattern) == parameters.map(\.bitPattern))
    }

    @Test("A .keras archive holds config.json (the model), metadata.json and model.weights.h5, and gives the weights back")
    func kerasArchiveRoundTrip() throws {
        let parameters = Self.parameters(Self.model)
        let path = Self.temporaryPath("model.keras")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try parameters.withUnsafeBufferPointer { try WeightsFormat.keras.write(model: Self.model, parameters: $0.baseAddress!, to: path) }
        #expect(try ModelDescription(json: KerasModelArchive.configuration(path: path), source: path) == Self.model.description)
        #expect(try WeightsFormat.readWeights(model: Self.model, from: path).map(\.bitPattern) == parameters.map(\.bitPattern))
    }

    @Test("Weights of another model, and damaged files, are refused with one line naming the file and the tensor")
    func mismatchesRefused() throws {
        let other = try Model(description: ModelDescription(compact: "input(8,8,3) conv2d(5,3,same,relu) flatten dense(3,softmax)"))
        let parameters = Self.parameters(Self.model)
        for format in [WeightsFormat.safetensors, .weightsH5, .keras] {
            let path = Self.temporaryPath("weights" + format.fileExtension)
            defer { try? FileManager.default.removeItem(atPath: path) }
            try parameters.withUnsafeBufferPointer { try format.write(model: Self.model, parameters: $0.baseAddress!, to: path) }
            do {
                _ = try WeightsFormat.readWeights(model: other, from: path)
                Issue.record("\(format): the weights of another model were accepted")
            } catch let error as InputFileError {
                // The first tensor that does not fit is named: one this model lacks, or one it needs.
                #expect(error.path == path && (error.problem.contains("conv2d") || error.problem.contains("batch_normalization"))
                        && !error.problem.contains("\n"), "\(error)")
            }
        }
        let garbage = Self.temporaryPath("garbage.safetensors")
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        FileManager.default.createFile(atPath: garbage, contents: Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2]))
        #expect(throws: InputFileError.self) { try WeightsFormat.readWeights(model: Self.model, from: garbage) }
        let notHDF5 = Self.temporaryPath("text.weights.h5")
        defer { try? FileManager.default.removeItem(atPath: notHDF5) }
        FileManager.default.createFile(atPath: notHDF5, contents: Data("not hdf5".utf8))
        #expect(throws: InputFileError(path: notHDF5, problem: "not a readable HDF5 file")) { try WeightsFormat.readWeights(model: Self.model, from: notHDF5) }
    }

    @Test("Axis permutation (Keras's convolution kernel to ONNX's): a known answer")
    func permutation() {
        // Shape (2, 3): [[0, 1, 2], [3, 4, 5]] transposed is [[0, 3], [1, 4], [2, 5]].
        let (values, shape) = GraphBuilder.permute([0, 1, 2, 3, 4, 5], shape: [2, 3], permutation: [1, 0])
        #expect(shape == [3, 2] && values == [0, 3, 1, 4, 2, 5])
        // (kh, kw, in, out) → (out, in, kh, kw): element [h][w][i][o] lands at [o][i][h][w].
        let kernelShape = [2, 2, 3, 4]
        let kernel = (0..<48).map(Float.init)
        let (onnx, onnxShape) = GraphBuilder.permute(kernel, shape: kernelShape, permutation: [3, 2, 0, 1])
        #expect(onnxShape == [4, 3, 2, 2])
        for h in 0..<2 { for w in 0..<2 { for i in 0..<3 { for o in 0..<4 {
            #expect(onnx[((o * 3 + i) * 2 + h) * 2 + w] == kernel[((h * 2 + w) * 3 + i) * 4 + o])
        } } } }
    }

    @Test("The ONNX model parses back: opset 17, Keras-layout input, probabilities out, every weight an initialiser")
    func onnxStructure() throws {
        let parameters = Self.parameters(Self.model)
        let bytes = try parameters.withUnsafeBufferPointer { try ONNXExport.encoded(model: Self.model, parameters: $0.baseAddress!) }
        let model = try Onnx_ModelProto(serializedBytes: bytes)
        #expect(model.opsetImport.first?.version == 17)
        #expect(model.graph.input.map(\.name) == ["input"] && model.graph.output.map(\.name) == ["probabilities"])
        #expect(model.graph.input[0].type.tensorType.shape.dim.map(\.dimValue) == [0, 8, 8, 3])
        let names = Set(model.graph.initializer.map(\.name))
        #expect(KerasWeightNames(model: Self.model).tensors.allSatisfy { names.contains($0.name) })
        #expect(model.graph.node.map(\.opType) == ["Transpose", "Conv", "Relu", "BatchNormalization", "MaxPool", "Conv",
                                                   "Transpose", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"])
    }
}
