import Foundation
import SecretRedaction
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// `edge-video check --print` (the real binary) on generated configurations holding secrets:
/// the output decodes to the same configuration but for the `***`, and holds no secret.
@Suite struct CheckPrintTests {
    /// A generated document given secrets of every kind, each unique, in files beside it and inline.
    private static func withSecrets(_ document: [String: Any], round: Int, in directory: String) throws -> (document: [String: Any], secrets: [String]) {
        var document = document
        var secrets: [String] = []
        func secretFile(_ name: String) throws -> String {
            let secret = "s3cr3t-\(name)-\(round)-\(UUID().uuidString.prefix(8))"
            try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
            secrets.append(secret)
            return name
        }
        var amqp = document["amqp"] as? [String: Any] ?? [:]
        if round % 2 == 0 {
            amqp["urls"] = ["amqp://edge@127.0.0.1:5672/%2f", "amqp://edge@127.0.0.2:5672/%2f"]
            amqp["password_file"] = try secretFile("broker.pw")
        } else {
            let inline = "inl1ne-\(round)"
            secrets.append(inline)
            amqp["urls"] = ["amqp://edge:\(inline)@127.0.0.1:5672/%2f"]
        }
        amqp["tls"] = ["ca_file": try secretFile("ca.pem")]
        document["amqp"] = amqp
        document["http"] = ["auth": ["token_file": try secretFile("token"), "user": "op", "password_file": try secretFile("http.pw")]]
        var cameras = document["cameras"] as? [[String: Any]] ?? []
        cameras.append(["id": "rtsp-file", "url": "rtsp://admin@10.0.0.9/s", "password_file": try secretFile("cam.pw")])
        let inline = "c4m-\(round)"
        secrets.append(inline)
        cameras.append(["id": "rtsp-inline", "url": "rtsp://admin:\(inline)@10.0.0.10/s",
                        "input_options": ["headers": "X-Key: h3ad-\(round)\r\n", "rtsp_transport": "udp"]])
        secrets.append("h3ad-\(round)")
        document["cameras"] = cameras
        // The generator's own secret option values.
        for camera in cameras {
            for (name, value) in camera["input_options"] as? [String: String] ?? [:] where InputOptions.isSecret(name) { secrets.append(Self.distinctive(value)) }
        }
        for (name, value) in (document["camera_defaults"] as? [String: Any])?["input_options"] as? [String: String] ?? [:]
        where InputOptions.isSecret(name) {
            secrets.append(Self.distinctive(value))
        }
        return (document, secrets)
    }

    /// The part of a secret value that JSON prints as it is (before a `\r\n`).
    private static func distinctive(_ value: String) -> String { value.components(separatedBy: "\r").first ?? value }

    /// `config` as printed: every secret the printing replaces by `***` replaced the same way.
    private static func redacted(_ config: AppConfig) -> AppConfig {
        var config = config
        if config.amqp.passwordFile == nil { config.amqp.urls = config.amqp.urls.map(Redaction.redactingSecrets(in:)) }
        for index in config.cameras.indices {
            if config.cameras[index].passwordFile == nil { config.cameras[index].url = Redaction.redactingSecrets(in: config.cameras[index].url) }
            config.cameras[index].inputOptions = InputOptions.redacted(config.cameras[index].inputOptions)
        }
        return config
    }

    @Test(.timeLimit(.minutes(3))) func printedConfigDecodesAgainAndHoldsNoSecret() async throws {
        let directory = NSTemporaryDirectory() + "ev-print-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var generator = ConfigGenerator(seed: 0x9A1_47ED)
        var withDefaults = 0
        for round in 0..<12 {
            let (document, secrets) = try Self.withSecrets(generator.valid(), round: round, in: directory)
            if document["camera_defaults"] != nil { withDefaults += 1 }
            let path = directory + "/supervision.json"
            try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: path))
            let original = try AppConfig.load(path: path, environment: [:])

            let check = try TestProcess(ApplianceHarness.binary, ["check", "--print", "--config", path], name: "check --print")
            #expect(try await check.waitForExit(within: .seconds(30)) == 0, "round \(round): \(check.stderr)")
            let printed = try await check.allLines(within: .seconds(30)).joined(separator: "\n")
            for secret in secrets {
                #expect(!printed.contains(secret) && !check.stderr.contains(secret), "round \(round): \(secret) printed")
            }
            #expect(!printed.contains("camera_defaults"), "merged, not repeated")
            try Data(printed.utf8).write(to: URL(fileURLWithPath: path))
            let again = try AppConfig.load(path: path, environment: [:])
            #expect(again == Self.redacted(original), "round \(round): \(printed)")
        }
        #expect(withDefaults >= 3)
    }
}
