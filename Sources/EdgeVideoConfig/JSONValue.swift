import Foundation

/// A parsed JSON document, kept untyped so the configuration decoder can report every problem with
/// its JSON path instead of stopping at the first `DecodingError`.
package enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Decodes any JSON value.
    package init(from decoder: any Decoder) throws {
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

    /// Parses `data` as JSON.
    ///
    /// - Throws: ``ConfigError`` with the parser's message when the text is not JSON.
    package static func parse(_ data: Data) throws(ConfigError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey]
            throw ConfigError(issues: [ConfigIssue(path: "", message: "invalid JSON: \(detail ?? context.debugDescription)")])
        } catch {
            throw ConfigError(issues: [ConfigIssue(path: "", message: "invalid JSON: \(error)")])
        }
    }

    /// The JSON type name used in error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
