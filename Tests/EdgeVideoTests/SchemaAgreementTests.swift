import Foundation
import Testing

@testable import EdgeVideo

/// `supervision.schema.json` and the decoder must describe the same keys with the same defaults.
@Suite struct SchemaAgreementTests {
    /// Every object schema in the file by location (`amqp.tls`, `cameras[]`), its properties.
    private func objectSchemas() throws -> [String: [String: [String: Any]]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: RepositoryFiles.path("supervision.schema.json")))
        let root = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        var result: [String: [String: [String: Any]]] = [:]
        func walk(_ node: [String: Any], _ path: String) {
            guard let properties = node["properties"] as? [String: [String: Any]] else { return }
            result[path] = properties
            for (key, child) in properties {
                let here = path.isEmpty ? key : "\(path).\(key)"
                if let items = child["items"] as? [String: Any], items["properties"] != nil {
                    walk(items, here + "[]")
                } else {
                    walk(child, here)
                }
            }
        }
        walk(root, "")
        return result
    }

    @Test func sameKeysEverywhere() throws {
        let found = try objectSchemas()
        #expect(Set(found.keys) == Set(AppConfig.allowedKeys.keys))
        for (path, keys) in AppConfig.allowedKeys {
            #expect(Set(found[path]?.keys.map { $0 } ?? []) == Set(keys), "keys of \(path)")
        }
    }

    @Test func everyKeyHasADefaultAndADescription() throws {
        for (path, properties) in try objectSchemas() {
            for (key, property) in properties {
                #expect(property.keys.contains("default"), "\(path).\(key) has no default")
                #expect((property["description"] as? String)?.isEmpty == false, "\(path).\(key) has no description")
            }
        }
    }

    @Test func schemaDefaultsAreTheDecodersDefaults() throws {
        let config = try AppConfig.decode(Data(#"{"cameras":[{"id":"a","url":"testsrc:"}]}"#.utf8))
        let encoded = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any])
        var compared = 0
        for (path, properties) in try objectSchemas() where !path.isEmpty {
            var node: Any? = encoded
            for part in path.split(separator: ".") {
                node =
                    part.hasSuffix("[]")
                    ? ((node as? [String: Any])?[String(part.dropLast(2))] as? [Any])?.first
                    : (node as? [String: Any])?[String(part)]
            }
            let values = try #require(node as? [String: Any], "\(path) missing from the encoded config")
            for (key, property) in properties where !(path == "cameras[]" && ["id", "url"].contains(key)) {
                let schemaDefault = property["default"]
                let decoded = values[key]
                if schemaDefault is NSNull {
                    #expect(decoded == nil, "\(path).\(key): decoder default \(String(describing: decoded))")
                } else if (schemaDefault as? [String: Any])?.isEmpty == true {
                    #expect(decoded is [String: Any], "\(path).\(key)")
                } else {
                    let lhs = try JSONSerialization.data(withJSONObject: [schemaDefault ?? NSNull()], options: .sortedKeys)
                    let rhs = try JSONSerialization.data(withJSONObject: [decoded ?? NSNull()], options: .sortedKeys)
                    let equal = (try JSONSerialization.jsonObject(with: lhs) as? NSArray) == (try JSONSerialization.jsonObject(with: rhs) as? NSArray)
                    #expect(equal, "\(path).\(key): schema \(String(describing: schemaDefault)) vs decoder \(String(describing: decoded))")
                }
                compared += 1
            }
        }
        #expect(compared >= 30)
    }
}
