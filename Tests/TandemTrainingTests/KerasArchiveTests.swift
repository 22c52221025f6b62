import Foundation
import Testing
import TandemCore
import TandemData
import TandemInterchange

/// A `.keras` archive real Keras wrote (`model.save`) gives the same model description as its JSON.
struct KerasArchiveTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/keras-models/supported")

    @Test("config.json of a .keras archive describes the same model as model.to_json(), compile settings included",
          arguments: ["dropout-cnn", "basic-classification", "functional-chain"])
    func sameModelAsJSON(name: String) throws {
        let archived = try ModelDescription(json: KerasModelArchive.configuration(path: Self.fixtures.appendingPathComponent("\(name).keras").path),
                                            source: "\(name).keras")
        let json = try ModelDescription(json: String(contentsOf: Self.fixtures.appendingPathComponent("\(name).json"), encoding: .utf8),
                                        source: "\(name).json")
        #expect(archived.compiledLoss == json.compiledLoss)
        #expect(archived.inputShape == json.inputShape)
        #expect(archived.layers.map(\.className) == json.layers.map(\.className))
        #expect(archived.layers.map(\.name) == json.layers.map(\.name))
        let (a, b) = (try Model(description: archived), try Model(description: json))
        #expect(a.layers.map(\.parameterBlocks) == b.layers.map(\.parameterBlocks))
    }

    @Test("A zip without config.json and a file that is not a zip are refused in one line")
    func refusals() throws {
        let notZip = NSTemporaryDirectory() + "tandem-\(UUID().uuidString).keras"
        try Data("not a zip".utf8).write(to: URL(fileURLWithPath: notZip))
        defer { try? FileManager.default.removeItem(atPath: notZip) }
        #expect(throws: InputFileError(path: notZip, problem: "not a readable .keras (zip) archive")) {
            try KerasModelArchive.configuration(path: notZip)
        }
        let npz = Self.fixtures.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("npz/grey-float32.npz").path
        #expect(throws: InputFileError(path: npz, problem: "has no config.json: not a Keras 3 .keras archive")) {
            try KerasModelArchive.configuration(path: npz)
        }
    }
}
