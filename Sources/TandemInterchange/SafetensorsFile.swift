import Foundation
import TandemCore
import TandemData

/// safetensors (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON naming each
/// tensor's dtype, shape and byte range, then the data. Tandem writes every weight as float32 under its
/// Keras name (`conv2d/kernel`, `batch_normalization/moving_mean`) in `get_weights()` order, with the
/// model's Keras JSON in `__metadata__` (key `keras_model`), and reads such files back.
package enum SafetensorsFile {
    package static let largestHeaderBytes = 100 << 20

    package static func encoded(model: Model, parameters: UnsafePointer<Float>, data: DataDescription = DataDescription()) -> [UInt8] {
        let tensors = KerasWeightNames(model: model).tensors
        let metadata = ["format": "keras", "producer": "tandem", "keras_model": model.description.json].merging(data.metadata) { $1 }
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for tensor in tensors {
            header[tensor.name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + 4 * tensor.count]]
            offset += 4 * tensor.count
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so that the data starts 8-byte aligned, as the reference writer does.
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        bytes += json
        for tensor in tensors {
            for index in 0..<tensor.count {
                withUnsafeBytes(of: parameters[tensor.offset + index].bitPattern.littleEndian) { bytes += $0 }
            }
        }
        return bytes
    }

    /// The weights of `model` from a safetensors file: every tensor by its Keras name, float32, with the
    /// model's shape; other tensors are refused, so that a file of another model is not half-loaded.
    package static func read(model: Model, from path: String) throws -> [Float] {
        let fail = { (problem: String) in InputFileError(path: path, problem: problem) }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot be read") }
        guard data.count >= 8 else { throw fail("too short for a safetensors file") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(min(largestHeaderBytes, data.count - 8)) else {
            throw fail("header length \(headerLength) does not fit the file (\(data.count) bytes): not a safetensors file")
        }
        let dataStart = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<dataStart)) as? [String: Any] else {
            throw fail("the header is not a JSON object: not a safetensors file")
        }
        let tensors = KerasWeightNames(model: model).tensors
        let expected = Set(tensors.map(\.name))
        if let unknown = header.keys.filter({ $0 != "__metadata__" && !expected.contains($0) }).sorted().first {
            throw fail("holds \(unknown), which this model has no weight for: not the weights of this model")
        }
        var parameters = [Float](repeating: 0, count: model.parameterCount)
        let dataBytes = data.count - dataStart
        for tensor in tensors {
            guard let entry = header[tensor.name] as? [String: Any] else { throw fail("has no tensor \(tensor.name)") }
            guard entry["dtype"] as? String == "F32" else {
                throw fail("\(tensor.name) is \(entry["dtype"] ?? "untyped"); Tandem reads float32 (F32)")
            }
            guard let shape = entry["shape"] as? [Int], shape == tensor.shape else {
                throw fail("\(tensor.name) has shape \(entry["shape"] ?? "none"); the model needs \(tensor.shape)")
            }
            guard let offsets = entry["data_offsets"] as? [Int], offsets.count == 2, offsets[0] >= 0,
                  offsets[1] - offsets[0] == 4 * tensor.count, offsets[1] <= dataBytes else {
                throw fail("\(tensor.name): its data_offsets do not hold \(tensor.count) float32 values inside the file")
            }
            data.withUnsafeBytes { raw in
                for index in 0..<tensor.count {
                    let bits = raw.loadUnaligned(fromByteOffset: dataStart + offsets[0] + 4 * index, as: UInt32.self)
                    parameters[tensor.offset + index] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
        }
        if let bad = parameters.firstIndex(where: { !$0.isFinite }) { throw fail("holds a non-finite weight (parameter \(bad))") }
        return parameters
    }
}
