import Foundation
import TandemCore
import TandemData
import TandemInterchange

/// Where a new run's model comes from: a built-in model's name, a file of Keras JSON (`model.to_json()`,
/// a `.keras` archive's `config.json`), or a `.keras` archive itself.
package struct ModelSource: Sendable, Equatable {
    /// As given; nil for the default, the tutorial's model.
    package let nameOrPath: String?

    package init(_ nameOrPath: String? = nil) { self.nameOrPath = nameOrPath }

    /// The built-in name or the path.
    package var name: String { nameOrPath ?? "tutorial" }

    /// The description, or one line saying why not.
    package func description() throws -> ModelDescription {
        if let builtIn = BuiltInModel.named(name) { return builtIn.description }
        if name.hasSuffix(".keras") { return try ModelDescription(json: KerasModelArchive.configuration(path: name), source: name) }
        guard FileManager.default.fileExists(atPath: name) else {
            throw ModelDefinitionError("\(name): no such file, and not a built-in model (\(BuiltInModel.all.map(\.name).sorted().joined(separator: ", ")))")
        }
        guard let data = FileManager.default.contents(atPath: name) else { throw ModelDefinitionError("\(name): cannot be read") }
        guard data.count <= 16 << 20 else { throw ModelDefinitionError("\(name): \(data.count) bytes is too large for a model description") }
        guard let text = String(data: data, encoding: .utf8) else { throw ModelDefinitionError("\(name): not UTF-8 text") }
        return try ModelDescription(json: text, source: name)
    }

    /// The model built from `description()`; a layer the description cannot be built with (an
    /// unsupported layer or option, a size out of range) is reported with the file it came from.
    package func model(convolution: ConvolutionAlgorithm?) throws -> Model {
        let description = try description()
        do {
            return try Model(description: description, convolution: convolution)
        } catch let error as ModelDefinitionError {
            guard let path = nameOrPath, !"\(error)".hasPrefix(path + ": ") else { throw error }
            throw ModelDefinitionError("\(path): \(error)")
        }
    }
}
