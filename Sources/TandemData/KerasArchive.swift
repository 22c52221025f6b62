import Foundation
import ZIPFoundation

/// A `.keras` file (a zip of `config.json`, `model.weights.h5` and `metadata.json`, as
/// `model.save("model.keras")` writes it), read through ZIPFoundation for its model description.
public enum KerasArchive {
    /// The text of the archive's `config.json`: the model's Keras JSON.
    public static func configuration(path: String) throws -> String {
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
}
