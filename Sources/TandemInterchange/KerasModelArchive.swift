import Foundation
import TandemCore
import TandemData
import ZIPFoundation

/// Keras 3's `.keras` archive, as `model.save()` writes it and `keras.saving.load_model()` opens it: a
/// zip of `config.json` (the model's Keras JSON), `metadata.json` and `model.weights.h5`.
package enum KerasModelArchive {
    /// The Keras version whose `load_model` the archives were checked with (Launch/keras_export_check.py).
    package static let kerasVersion = "3.15.1"

    /// The text of the archive's `config.json`: the model's Keras JSON.
    package static func configuration(path: String) throws -> String {
        func fail(_ problem: String) -> InputFileError { InputFileError(path: path, problem: problem) }
        guard FileManager.default.fileExists(atPath: path) else { throw fail("no such file") }
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw fail("not a readable .keras (zip) archive")
        }
        guard let entry = archive["config.json"] else { throw fail("has no config.json: not a Keras 3 .keras archive") }
        guard entry.uncompressedSize <= 16 << 20 else { throw fail("config.json is \(entry.uncompressedSize) bytes: too large") }
        var bytes = Data()
        do {
            _ = try archive.extract(entry, consumer: { bytes.append($0) })
        } catch {
            throw fail("config.json cannot be read: \(error)")
        }
        guard let text = String(data: bytes, encoding: .utf8) else { throw fail("config.json is not UTF-8") }
        return text
    }

    package static func write(model: Model, parameters: UnsafePointer<Float>, data: DataDescription = DataDescription(), to path: String) throws {
        let fail = { (problem: String) in InputFileError(path: path, problem: problem) }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try KerasWeightsFile.write(model: model, parameters: parameters, to: directory.path + "/model.weights.h5")
        let metadata = ["keras_version": kerasVersion, "date_saved": Self.timestamp(), "producer": "tandem"].merging(data.metadata) { $1 }
        let files: [(String, Data)] = [
            ("config.json", Data(model.description.json.utf8)),
            ("metadata.json", try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys])),
        ]
        for (name, data) in files {
            guard FileManager.default.createFile(atPath: directory.path + "/" + name, contents: data) else { throw fail("cannot write \(name)") }
        }
        do {
            let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
            for name in ["metadata.json", "config.json", "model.weights.h5"] {
                try archive.addEntry(with: name, relativeTo: URL(fileURLWithPath: directory.path), compressionMethod: .none)
            }
        } catch {
            throw fail("cannot write the archive: \(error)")
        }
    }

    /// The weights of `model` from a `.keras` archive's `model.weights.h5`.
    package static func readWeights(model: Model, from path: String) throws -> [Float] {
        let fail = { (problem: String) in InputFileError(path: path, problem: problem) }
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch { throw fail("not a readable .keras (zip) archive") }
        guard let entry = archive["model.weights.h5"] else { throw fail("has no model.weights.h5: not a Keras 3 .keras archive") }
        guard entry.uncompressedSize <= 4 << 30 else { throw fail("model.weights.h5 is \(entry.uncompressedSize) bytes: too large") }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let weights = directory.path + "/model.weights.h5"
        do { _ = try archive.extract(entry, to: URL(fileURLWithPath: weights)) } catch { throw fail("model.weights.h5 cannot be read: \(error)") }
        do {
            return try KerasWeightsFile.read(model: model, from: weights)
        } catch let error as InputFileError {
            throw fail("model.weights.h5 " + error.problem)
        }
    }

    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd@HH:mm:ss"
        return formatter.string(from: Date())
    }
}

/// A private directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "tandem-\(UUID().uuidString)"
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw InputFileError(path: path, problem: "cannot create a temporary directory")
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
