/// Walks a ``JSONValue`` tree with a JSON path, collecting every problem as a ``ConfigIssue`` and
/// substituting defaults, so one pass reports all errors of a file.
final class ConfigReader {
    /// The problems found so far, in document order.
    private(set) var issues: [ConfigIssue] = []
    /// Issues already recorded: a bad value in `camera_defaults` is read once per camera and
    /// reported once.
    private var recorded: Set<String> = []

    /// An inclusive or exclusive numeric bound used in range checks.
    enum Bound {
        case above(Double)
        case atLeast(Double)
        case atMost(Double)
        /// 0 (meaning "off"), or at least the value.
        case zeroOrAtLeast(Double)
    }

    /// Records a problem at `path`.
    func fail(_ path: String, _ message: String) {
        guard recorded.insert("\(path)\u{0}\(message)").inserted else { return }
        issues.append(ConfigIssue(path: path, message: message))
    }

    /// `parent.key`, or `key` at the top level.
    static func join(_ parent: String, _ key: String) -> String {
        parent.isEmpty ? key : "\(parent).\(key)"
    }

    /// The fields of the object at `path`; absent gives an empty object, null is an error. Keys outside
    /// `allowed` are reported so that a misspelt key does not silently fall back to its default.
    func object(_ value: JSONValue?, at path: String, allowed: [String]) -> [String: JSONValue] {
        switch value {
        case nil:
            return [:]
        case .object(let fields)?:
            for key in fields.keys.sorted() where !allowed.contains(key) {
                fail(Self.join(path, key), "unknown key (allowed: \(allowed.joined(separator: ", ")))")
            }
            return fields
        case let other?:
            fail(path, "must be an object, not \(other.typeName)")
            return [:]
        }
    }

    /// The string at `fields[key]`, `fallback` when absent; `nil` when absent without fallback.
    /// `null` counts as absent only for keys without a default (the schema's `["string", "null"]`).
    func string(_ fields: [String: JSONValue], _ key: String, at path: String, default fallback: String?) -> String? {
        switch fields[key] {
        case nil:
            return fallback
        case .null? where fallback == nil:
            return nil
        case .string(let text)?:
            return text
        case let other?:
            fail(Self.join(path, key), "must be a string, not \(other.typeName)")
            return fallback
        }
    }

    /// The case of `Choice` named by the string at `fields[key]`, `fallback` when absent; a name
    /// that is not one of `Choice`'s raw values is a problem listing them, and gives `fallback`.
    func choice<Choice: RawRepresentable & CaseIterable>(
        _ fields: [String: JSONValue], _ key: String, at path: String, default fallback: Choice
    ) -> Choice where Choice.RawValue == String {
        let name = string(fields, key, at: path, default: fallback.rawValue) ?? fallback.rawValue
        guard let known = Choice(rawValue: name) else {
            fail(Self.join(path, key), "must be one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
            return fallback
        }
        return known
    }

    /// The boolean at `fields[key]`, `fallback` when absent.
    func bool(_ fields: [String: JSONValue], _ key: String, at path: String, default fallback: Bool) -> Bool {
        switch fields[key] {
        case nil:
            return fallback
        case .bool(let flag)?:
            return flag
        case let other?:
            fail(Self.join(path, key), "must be true or false, not \(other.typeName)")
            return fallback
        }
    }

    /// The number at `fields[key]` checked against `bounds`; `fallback` when absent or invalid.
    func number(
        _ fields: [String: JSONValue], _ key: String, at path: String, default fallback: Double?,
        _ bounds: Bound...
    ) -> Double? {
        checked(fields, key, at: path, default: fallback, bounds)
    }

    /// Like ``number(_:_:at:default:_:)`` but the value must also be a whole number.
    func integer(
        _ fields: [String: JSONValue], _ key: String, at path: String, default fallback: Int?,
        _ bounds: Bound...
    ) -> Int? {
        if case .number(let number)? = fields[key], number.isFinite, number.rounded() != number {
            fail(Self.join(path, key), "must be a whole number")
            return fallback
        }
        return checked(fields, key, at: path, default: fallback.map(Double.init), bounds).map { Int($0) }
    }

    private func checked(
        _ fields: [String: JSONValue], _ key: String, at path: String, default fallback: Double?, _ bounds: [Bound]
    ) -> Double? {
        let here = Self.join(path, key)
        switch fields[key] {
        case nil:
            return fallback
        case .null? where fallback == nil:
            return nil
        case .number(let value)? where !value.isFinite:
            fail(here, "must be a finite number")
            return fallback
        case .number(let value)?:
            for bound in bounds {
                let (ok, message): (Bool, String) =
                    switch bound {
                    case .above(let limit): (value > limit, "must be > \(Self.format(limit))")
                    case .atLeast(let limit): (value >= limit, "must be >= \(Self.format(limit))")
                    case .atMost(let limit): (value <= limit, "must be <= \(Self.format(limit))")
                    case .zeroOrAtLeast(let limit):
                        (value == 0 || value >= limit, "must be 0 (off) or >= \(Self.format(limit))")
                    }
                if !ok {
                    fail(here, message)
                    return fallback
                }
            }
            return value
        case let other?:
            fail(here, "must be a number, not \(other.typeName)")
            return fallback
        }
    }

    /// The array at `fields[key]`; `nil` when absent.
    func array(_ fields: [String: JSONValue], _ key: String, at path: String) -> [JSONValue]? {
        switch fields[key] {
        case nil:
            return nil
        case .array(let items)?:
            return items
        case let other?:
            fail(Self.join(path, key), "must be an array, not \(other.typeName)")
            return nil
        }
    }

    private static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}
