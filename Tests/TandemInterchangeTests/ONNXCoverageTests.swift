import Foundation
import Testing
import TandemCore
@testable import TandemInterchange

/// A layer added to the registry needs an ONNX export too: every registered layer type must be exported
/// by some fixture model, or be listed below as not exportable, with the reason.
struct ONNXCoverageTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// Registered layers without an ONNX export, and why. (None today.)
    static let notExportable: [String: String] = [:]

    /// The fixture models: every model of keras-models/supported, and each layer of keras-layers in a
    /// Sequential model of its own (input, the layer, a Flatten, a Dense of 3 logits).
    static func models() throws -> [(name: String, model: Model)] {
        var models: [(String, Model)] = []
        let manager = FileManager.default
        let supported = fixtures.appendingPathComponent("keras-models/supported")
        for name in try manager.contentsOfDirectory(atPath: supported.path).sorted() where name.hasSuffix(".json") && name != "expected-layers.json" {
            let text = try String(contentsOf: supported.appendingPathComponent(name), encoding: .utf8)
            models.append((name, try Model(description: ModelDescription(json: text, source: name))))
        }
        let layers = fixtures.appendingPathComponent("keras-layers")
        for name in try manager.contentsOfDirectory(atPath: layers.path).sorted() where name.hasSuffix(".json") {
            let fixture = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: layers.appendingPathComponent(name)))
            guard case let .object(entry) = fixture, case let .array(shape)? = entry["input_shape"],
                  let layer = entry["class_name"], let config = entry["config"] else { continue }
            // Models take pictures: a vector input is a 1x1 picture flattened first.
            let isVector = shape.count == 1
            let input = JSONValue.object(["class_name": .string("InputLayer"), "config": .object([
                "batch_shape": .array([.null] + (isVector ? [.number(1), .number(1)] : []) + shape), "name": .string("input"),
            ])])
            func flatten(_ name: String) -> JSONValue { .object(["class_name": .string("Flatten"), "config": .object(["name": .string(name)])]) }
            let dense = JSONValue.object(["class_name": .string("Dense"), "config": .object(["name": .string("dense_coverage"), "units": .number(3)])])
            let description = JSONValue.object(["class_name": .string("Sequential"), "config": .object([
                "name": .string(name),
                "layers": .array([input] + (isVector ? [flatten("flatten_input")] : []) + [.object(["class_name": layer, "config": config]), flatten("flatten_output"), dense]),
            ])])
            models.append((name, try Model(description: ModelDescription(json: description.description, source: name))))
        }
        return models
    }

    @Test("Every registered layer type is exported to ONNX by some fixture model (or listed as not exportable, with the reason)")
    func everyRegisteredLayerIsExported() throws {
        var exported = Set<String>()
        for (name, model) in try Self.models() {
            var parameters = [Float](repeating: 0, count: model.parameterCount)
            parameters.withUnsafeMutableBufferPointer { model.initializeParameters($0, seed: 1) }
            do {
                _ = try parameters.withUnsafeBufferPointer { try ONNXExport.encoded(model: model, parameters: $0.baseAddress!) }
                exported.formUnion(model.layers.map { "\(type(of: $0))" })
            } catch {
                let kinds = Set(model.layers.map { "\(type(of: $0))" })
                #expect(!kinds.isDisjoint(with: Self.notExportable.keys), "\(name): \(error)")
            }
        }
        let registered = Set(LayerRegistry.layers.map { "\($0)" })
        let missing = registered.subtracting(exported).subtracting(Self.notExportable.keys)
        #expect(missing.isEmpty, "no fixture model exports \(missing.sorted().joined(separator: ", ")) to ONNX: add a fixture, an export, or a reason to notExportable")
        #expect(Set(Self.notExportable.keys).isSubset(of: registered))
    }
}
