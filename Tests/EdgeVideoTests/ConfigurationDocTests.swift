import EdgeVideoTestSupport
import Foundation
import Testing

/// `docs/configuration.md` documents exactly the keys of `supervision.schema.json`, each with the
/// schema's default.
///
/// The format it reads: every table whose header row is `| key | type | default | meaning |` is a
/// reference table; each of its rows names one key in its first cell, in backticks, as a path from
/// the top of the file (`amqp.tls.ca_file`, `cameras[].fps`; `[]` stands for an array's items).
/// A key is a property whose schema has no `properties` of its own (an object with properties is a
/// section, documented by its keys). The default cell is either `required` (for a key its object
/// requires) or starts with the schema's default as JSON in backticks (`10`, `"info"`, `null`).
@Suite struct ConfigurationDocTests {
    private static let header = ["key", "type", "default", "meaning"]

    /// A documented key: the row's cells and its line in the file.
    struct Row {
        let key: String
        let cells: [String]
        let line: Int
    }

    /// A key of the schema: its default (absent when the schema gives none) and whether it is required.
    struct SchemaKey {
        let defaultValue: Any?
        let required: Bool
    }

    /// Every key of the schema by path, following local `$ref`s and the `properties` of `allOf` parts.
    static func schemaKeys() throws -> [String: SchemaKey] {
        let data = try Data(contentsOf: URL(fileURLWithPath: RepositoryFiles.path("supervision.schema.json")))
        let root = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])

        func resolve(_ node: [String: Any]) -> [String: Any] {
            guard let ref = node["$ref"] as? String, ref.hasPrefix("#/") else { return node }
            var target: Any? = root
            for part in ref.dropFirst(2).split(separator: "/") {
                target = (target as? [String: Any])?[String(part)]
            }
            guard let resolved = target as? [String: Any] else { return node }
            // Keywords beside the $ref (a default, a description) win over the target's.
            return resolve(resolved).merging(node.filter { $0.key != "$ref" }) { _, here in here }
        }
        func properties(of node: [String: Any]) -> [String: [String: Any]] {
            var result = (node["properties"] as? [String: [String: Any]]) ?? [:]
            for part in (node["allOf"] as? [[String: Any]]) ?? [] {
                result.merge(properties(of: resolve(part))) { first, _ in first }
            }
            return result
        }
        func requiredKeys(of node: [String: Any]) -> Set<String> {
            var result = Set((node["required"] as? [String]) ?? [])
            for part in (node["allOf"] as? [[String: Any]]) ?? [] where part["if"] == nil {
                result.formUnion(requiredKeys(of: resolve(part)))
            }
            return result
        }

        var keys: [String: SchemaKey] = [:]
        func walk(_ node: [String: Any], _ path: String) {
            let required = requiredKeys(of: node)
            for (name, child) in properties(of: node) {
                let child = resolve(child)
                let here = path.isEmpty ? name : "\(path).\(name)"
                if !properties(of: child).isEmpty {
                    walk(child, here)
                } else if let items = (child["items"] as? [String: Any]).map(resolve), !properties(of: items).isEmpty {
                    walk(items, here + "[]")
                } else {
                    keys[here] = SchemaKey(defaultValue: child["default"], required: required.contains(name))
                }
            }
        }
        walk(root, "")
        return keys
    }

    /// Every row of every reference table of `docs/configuration.md`.
    static func documentedRows() throws -> [Row] {
        let text = try String(contentsOfFile: RepositoryFiles.path("docs/configuration.md"), encoding: .utf8)
        var rows: [Row] = []
        var inTable = false
        for (index, line) in text.components(separatedBy: "\n").enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("|") else {
                inTable = false
                continue
            }
            let cells = Self.cells(trimmed)
            if cells.map({ $0.lowercased() }) == header {
                inTable = true
            } else if inTable, !cells.allSatisfy({ $0.allSatisfy { "-: ".contains($0) } }) {
                rows.append(Row(key: Self.firstCode(cells.first ?? "") ?? "", cells: cells, line: index + 1))
            }
        }
        return rows
    }

    /// The cells of a Markdown table row (a `|` inside backticks does not split).
    static func cells(_ row: String) -> [String] {
        var cells: [String] = []
        var current = ""
        var inCode = false
        for character in row.dropFirst() {
            if character == "`" { inCode.toggle() }
            if character == "|" && !inCode {
                cells.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        return cells
    }

    /// The text of the first backticked span of `cell`, if the cell has one.
    static func firstCode(_ cell: String) -> String? {
        let parts = cell.split(separator: "`", omittingEmptySubsequences: false)
        return parts.count >= 3 ? String(parts[1]) : nil
    }

    /// `value` as JSON text, for messages and comparisons.
    static func json(_ value: Any) -> String {
        let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
        return data.flatMap { String(data: $0, encoding: .utf8) } ?? "\(value)"
    }

    @Test(.timeLimit(.minutes(1))) func theReferenceHasTables() throws {
        // A renamed header would turn every row into prose, and the other tests would pass on nothing.
        #expect(try Self.documentedRows().count >= 50)
    }

    @Test(.timeLimit(.minutes(1))) func everySchemaKeyIsDocumented() throws {
        let documented = Set(try Self.documentedRows().map(\.key))
        for (key, schemaKey) in try Self.schemaKeys().sorted(by: { $0.key < $1.key }) where !documented.contains(key) {
            let defaultCell = schemaKey.required ? "required" : "`\(Self.json(schemaKey.defaultValue ?? NSNull()))`"
            Issue.record(
                """
                supervision.schema.json has the key `\(key)`, which docs/configuration.md does not document: \
                add a row to the table of its section, | `\(key)` | type | \(defaultCell) | meaning |
                """)
        }
    }

    @Test(.timeLimit(.minutes(1))) func everyDocumentedKeyIsInTheSchema() throws {
        let keys = try Self.schemaKeys()
        var seen: Set<String> = []
        for row in try Self.documentedRows() {
            #expect(row.cells.count == Self.header.count, "docs/configuration.md:\(row.line): a row needs 4 cells")
            #expect(!row.key.isEmpty, "docs/configuration.md:\(row.line): the first cell must name a key in backticks")
            #expect(seen.insert(row.key).inserted, "docs/configuration.md:\(row.line): `\(row.key)` is documented twice")
            #expect(
                keys[row.key] != nil,
                "docs/configuration.md:\(row.line) documents `\(row.key)`, which supervision.schema.json does not have: remove the row, or add the key to the schema"
            )
        }
    }

    @Test(.timeLimit(.minutes(1))) func documentedDefaultsAreTheSchemas() throws {
        let keys = try Self.schemaKeys()
        for row in try Self.documentedRows() {
            guard let schemaKey = keys[row.key], row.cells.count == Self.header.count else { continue }
            let cell = row.cells[2]
            if cell == "required" {
                #expect(schemaKey.required, "docs/configuration.md:\(row.line): `\(row.key)` is not required by the schema")
                continue
            }
            let expected = Self.json(schemaKey.defaultValue ?? NSNull())
            let written = Self.firstCode(cell)
            let parsed = written.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) }
            let same = parsed.map { Self.json($0) == expected } ?? false
            #expect(
                cell.hasPrefix("`") && same,
                "docs/configuration.md:\(row.line): the default of `\(row.key)` is `\(expected)` in the schema, the row says \(cell)")
        }
    }
}
