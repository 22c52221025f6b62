import Foundation

/// What a model's inputs and outputs mean, kept with its checkpoints and exports: the classes' names
/// (a folder of pictures gives them) and how a picture became an input. Empty for IDX and `.npz` data.
package struct DataDescription: Codable, Equatable, Sendable {
    /// The class of each label, in label order.
    package var classNames: [String]?
    /// How pictures became inputs (a model trained on folders of pictures): `predict` reads them so.
    package var pictures: PictureSettings?

    package init(classNames: [String]? = nil, pictures: PictureSettings? = nil) {
        self.classNames = classNames
        self.pictures = pictures
    }

    package var isEmpty: Bool { classNames == nil && pictures == nil }

    /// String entries for the exports' metadata: `class_names` (a JSON array) and `pictures`.
    package var metadata: [String: String] {
        var entries: [String: String] = [:]
        if let classNames, let json = try? JSONEncoder().encode(classNames) { entries["class_names"] = String(decoding: json, as: UTF8.self) }
        if let pictures { entries["pictures"] = pictures.description }
        return entries
    }
}
