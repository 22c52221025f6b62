import Foundation

/// Any JSON value, decoded by Foundation's `JSONDecoder`: what a Keras model description is made of.
package enum JSONValue: Codable, Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    package init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    package func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .number(value): try container.encode(value)
        case let .string(value): try container.encode(value)
        case let .array(value): try container.encode(value)
        case let .object(value): try container.encode(value)
        }
    }

    /// Compact JSON text with sorted keys (so equal values give equal text), as error messages quote it.
    package var description: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "?"
    }

    package subscript(key: String) -> JSONValue? {
        if case let .object(object) = self { return object[key] }
        return nil
    }

    package var string: String? { if case let .string(value) = self { value } else { nil } }
    package var number: Double? { if case let .number(value) = self { value } else { nil } }
    package var bool: Bool? { if case let .bool(value) = self { value } else { nil } }
    package var array: [JSONValue]? { if case let .array(value) = self { value } else { nil } }
    package var object: [String: JSONValue]? { if case let .object(value) = self { value } else { nil } }
    /// An integral number that fits an `Int`.
    package var integer: Int? {
        guard let number, number.rounded() == number, abs(number) < 9e15 else { return nil }
        return Int(number)
    }
}

extension JSONValue {
    /// How a value reads in an error message: `[2, 2]`, `'causal'`, `0.5`, `3`.
    package var displayText: String {
        switch self {
        case .null: "null"
        case let .bool(value): "\(value)"
        case let .number(value): integer.map(String.init) ?? "\(value)"
        case let .string(value): "'\(value)'"
        case let .array(values): "[" + values.map(\.displayText).joined(separator: ", ") + "]"
        case .object: description
        }
    }
}
