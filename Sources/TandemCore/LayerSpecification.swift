import Foundation

/// A layer as the user writes it, before shapes are known: the Keras-like model definition.
///
/// Its `description` is a compact, parseable form (`conv2d(64,3,same,relu)`) stored in checkpoints
/// so that `tandem evaluate` can rebuild the model a checkpoint was trained with.
public enum LayerSpecification: Equatable, Sendable, CustomStringConvertible {
    case conv2D(filters: Int, kernelSize: Int, padding: Padding, activation: Activation)
    case maxPooling2D(poolSize: Int)
    case flatten
    /// `activation: .softmax` is allowed on the last layer only: the model outputs logits and the
    /// softmax is fused into the cross-entropy loss (as Keras does for a softmax output layer).
    case dense(units: Int, activation: OutputActivation)

    public var description: String {
        switch self {
        case let .conv2D(filters, kernelSize, padding, activation):
            return "conv2d(\(filters),\(kernelSize),\(padding.rawValue),\(activation.rawValue))"
        case let .maxPooling2D(poolSize):
            return "maxpool(\(poolSize))"
        case .flatten:
            return "flatten"
        case let .dense(units, activation):
            return "dense(\(units),\(activation.rawValue))"
        }
    }

    /// Parses one layer written as `description` writes it.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let name: Substring
        let arguments: [String]
        if let open = trimmed.firstIndex(of: "("), trimmed.hasSuffix(")") {
            name = trimmed[..<open]
            arguments = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
                .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        } else {
            name = Substring(trimmed)
            arguments = []
        }
        func integer(_ index: Int) throws -> Int {
            guard index < arguments.count, let value = Int(arguments[index]), value > 0 else {
                throw ModelDefinitionError("layer '\(text)': argument \(index + 1) must be a positive integer")
            }
            return value
        }
        func parsed<T: RawRepresentable>(_ index: Int, as: T.Type) throws -> T where T.RawValue == String {
            guard index < arguments.count, let value = T(rawValue: arguments[index]) else {
                throw ModelDefinitionError("layer '\(text)': argument \(index + 1) is not a valid \(T.self)")
            }
            return value
        }
        func expectArguments(_ count: Int) throws {
            guard arguments.count == count else {
                throw ModelDefinitionError("layer '\(text)' takes \(count) arguments, not \(arguments.count)")
            }
        }
        switch name {
        case "conv2d":
            try expectArguments(4)
            self = .conv2D(filters: try integer(0), kernelSize: try integer(1),
                           padding: try parsed(2, as: Padding.self), activation: try parsed(3, as: Activation.self))
        case "maxpool":
            try expectArguments(1)
            self = .maxPooling2D(poolSize: try integer(0))
        case "flatten":
            try expectArguments(0)
            self = .flatten
        case "dense":
            try expectArguments(2)
            self = .dense(units: try integer(0), activation: try parsed(1, as: OutputActivation.self))
        default:
            throw ModelDefinitionError("unknown layer '\(text)'")
        }
    }
}

/// Activations a dense layer may have: those of any layer, plus softmax for the output layer.
public enum OutputActivation: String, Sendable {
    case linear
    case relu
    case softmax
}

public struct ModelDefinitionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
