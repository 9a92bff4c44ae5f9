import EdgeVideoTestSupport
import Foundation
import SecretRedaction
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

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
            // The defaults of camera_defaults are the cameras' own: the encoded configuration has
            // them merged into each camera.
            for part in (path == "camera_defaults" ? "cameras[]" : path).split(separator: ".") {
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
                    // The encoded configuration is the printed one: a default URL's password is `***` there.
                    let schemaText = String(decoding: try JSONSerialization.data(withJSONObject: [schemaDefault ?? NSNull()], options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
                    let lhs = Data(Redaction.redactingSecrets(in: schemaText).utf8)
                    let rhs = try JSONSerialization.data(withJSONObject: [decoded ?? NSNull()], options: [.sortedKeys, .withoutEscapingSlashes])
                    let equal = (try JSONSerialization.jsonObject(with: lhs) as? NSArray) == (try JSONSerialization.jsonObject(with: rhs) as? NSArray)
                    #expect(equal, "\(path).\(key): schema \(String(describing: schemaDefault)) vs decoder \(String(describing: decoded))")
                }
                compared += 1
            }
        }
        #expect(compared >= 30)
    }
}

/// The JSON Schema (checked by python3-jsonschema, as an editor or CI would) and the Swift decoder
/// give the same verdict on a corpus of generated documents. Where the schema cannot express a
/// rule (what a camera URL's parser accepts, unique ids, rules across two keys), the schema may
/// accept what the decoder refuses, never the other way round.
@Suite struct SchemaCorpusTests {
    /// Rules a JSON Schema cannot state; the only ones on which the two may differ.
    static func beyondTheSchema(_ issue: ConfigIssue) -> Bool {
        issue.path.hasSuffix(".url") || issue.path.hasPrefix("amqp.urls[") || issue.message.hasPrefix("duplicate id")
            || (issue.path == "amqp.routing_key" && issue.message.hasPrefix("is "))
            || (issue.path == "amqp.confirm_timeout_s" && issue.message.hasPrefix("must be >= 2 x heartbeat_s"))
            || (issue.path == "supervision.backoff.max_s" && issue.message.hasPrefix("must be >= initial_s"))
            || (issue.path == "http.address" && issue.message.hasPrefix("binds beyond loopback"))
            || (issue.path == "http.auth" && issue.message == "user and password_file go together")
            || issue.message.hasPrefix("width and height go together once camera_defaults is merged")
            // Rules on an option's value that depend on the source, or count bytes, not characters.
            || (issue.path.contains(".input_options.")
                && (issue.message.hasPrefix("refused: ") || issue.message.hasSuffix(" bytes") || issue.message.contains("NUL")))
    }

    /// Each document's verdict from python3-jsonschema (Draft 2020-12).
    private func schemaVerdicts(_ documents: [[String: Any]]) throws -> [Bool] {
        let path = NSTemporaryDirectory() + "ev-corpus-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: documents).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            print(json.dumps([validator.is_valid(d) for d in json.load(open(sys.argv[2]))]))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, RepositoryFiles.path("supervision.schema.json"), path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "python3-jsonschema missing? (scripts/install-deps.sh)")
        return try #require(JSONSerialization.jsonObject(with: data) as? [Bool])
    }

    @Test(.timeLimit(.minutes(1))) func schemaAndDecoderAgreeOnACorpus() throws {
        var generator = ConfigGenerator(seed: 0x5C4E_3A00)
        var documents: [[String: Any]] = (0..<60).map { _ in generator.valid() }
        for round in 0..<300 { documents.append(generator.nearValid(mutations: 1 + round % 2).document) }
        documents.append(["$schema": "./supervision.schema.json", "cameras": [] as [Any]])
        // Pairs that go together, with null as absent (the schema once read a null as present).
        for tls in [["cert_file": NSNull()], ["key_file": NSNull(), "ca_file": NSNull()], ["cert_file": "c.pem", "key_file": NSNull()],
                    ["cert_file": "c.pem"]] as [[String: Any]] {
            documents.append(["amqp": ["urls": ["amqps://broker"], "tls": tls] as [String: Any], "cameras": [] as [Any]])
        }
        for size in [["width": NSNull()], ["height": NSNull(), "width": NSNull()], ["width": 160, "height": NSNull()]] as [[String: Any]] {
            documents.append(["cameras": [["id": "a", "url": "testsrc:"].merging(size) { $1 }]])
        }
        // The repository's own files.
        for file in ["supervision.json", "deploy/edge-video.json"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: RepositoryFiles.path(file)))
            documents.append(try #require(JSONSerialization.jsonObject(with: data) as? [String: Any]))
        }
        let schema = try schemaVerdicts(documents)
        #expect(schema.count == documents.count)
        var tally = (same: 0, decoderStricter: 0)
        for (index, document) in documents.enumerated() where index < schema.count {
            let data = try JSONSerialization.data(withJSONObject: document)
            let issues: [ConfigIssue]
            do {
                _ = try AppConfig.decode(data, directory: "/nonexistent", environment: [:])
                issues = []
            } catch {
                issues = error.issues
            }
            if schema[index] == issues.isEmpty {
                tally.same += 1
            } else {
                tally.decoderStricter += 1
                let text = String(decoding: data, as: UTF8.self)
                #expect(schema[index], "the schema rejects what runs: \(text)")
                #expect(issues.allSatisfy(Self.beyondTheSchema), "\(issues) not stated by the schema: \(text)")
            }
        }
        print("schema corpus: \(documents.count) documents, \(tally)")
        #expect(tally.same >= 200)
    }
}
