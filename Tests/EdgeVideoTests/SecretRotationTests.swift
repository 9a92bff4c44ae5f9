import EdgeVideoTestSupport
import Foundation
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

extension BinaryTests {
    /// Rotating a secret file (no edit of the configuration): the real binary notices, reloads,
    /// and restarts exactly the cameras the secret belongs to.
    @Suite struct SecretRotationTests {
        @Test(.timeLimit(.minutes(4))) func aCameraPasswordFileChangeRestartsThatCameraOnly() async throws {
            let h = try ApplianceHarness("rotate")
            let rtsp = try await RTSPServer(mounts: ["/cam0", "/cam1"], size: "320x180", rate: 10)
            let passwordFile = h.directory + "/secrets/cam0.pw"
            try FileManager.default.createDirectory(atPath: h.directory + "/secrets", withIntermediateDirectories: true)
            try Data("first-pw\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
            var rotated = ApplianceHarness.camera("rotated", rtsp.url("/cam0").replacingOccurrences(of: "rtsp://", with: "rtsp://admin@"))
            rotated["password_file"] = "secrets/cam0.pw"
            var document = h.document([rotated, ApplianceHarness.camera("steady", rtsp.url("/cam1"))])
            // The fleet's transport from camera_defaults: both cameras capture over UDP.
            document["camera_defaults"] = ["input_options": ["rtsp_transport": "udp"]]
            try h.writeRaw(try JSONSerialization.data(withJSONObject: document))
            let app = try h.start()
            let before = try await h.waitForStatus("both cameras publishing", within: .seconds(90), app: app) { status in
                status.cameras.values.count == 2 && status.cameras.values.allSatisfy { $0.state == .running && $0.confirmed >= 3 }
            }
            let connectionsBefore = try h.connections()
            #expect(connectionsBefore.keys.sorted() == ["rotated", "steady"])

            // Rotation as a secrets tool does it: a new file renamed over the old one.
            try Data("second-pw\n".utf8).write(to: URL(fileURLWithPath: passwordFile), options: .atomic)
            let after = try await h.waitForStatus("the rotated camera restarted", within: .seconds(60), app: app) { status in
                status.config.generation == 2 && status.cameras["rotated"]?.state == .running
                    && (status.cameras["rotated"]?.confirmed ?? 0) >= 1
            }
            #expect(after.config.lastError == nil)
            let connectionsAfter = try await eventually(within: .seconds(30), "the rotated camera reconnected") {
                let now = try h.connections()
                return now["rotated"] != nil && now["rotated"] != connectionsBefore["rotated"] ? now : nil
            }
            // The other camera: same connection, no restart, no reconnect, still publishing.
            #expect(connectionsAfter["steady"] == connectionsBefore["steady"])
            #expect(after.cameras["steady"]?.restarts == before.cameras["steady"]?.restarts)
            #expect(after.cameras["steady"]?.reconnects == before.cameras["steady"]?.reconnects)
            #expect((after.cameras["steady"]?.confirmed ?? 0) > (before.cameras["steady"]?.confirmed ?? 0))
            #expect(app.stderr.contains("configuration file or a file it names changed"))
            for secret in ["first-pw", "second-pw"] {
                #expect(!app.stderr.contains(secret), "\(secret) logged")
            }
            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(30)) == 0)
        }
    }
}

/// Replacing an `amqp.password_file` or a TLS file makes the `amqp` section differ, so a reload
/// reconnects the cameras one at a time, as an edit of `amqp` does.
@Suite struct BrokerSecretRotationTests {
    @Test func brokerPasswordAndTLSFilesAreAmqpChanges() throws {
        let directory = NSTemporaryDirectory() + "ev-rotate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + name), options: .atomic)
        }
        try write("broker.pw", "one")
        try write("ca.pem", "ca one")
        try write("cam.pw", "cam")
        let json = #"""
            {"amqp": {"urls": ["amqps://edge@broker/%2f"], "password_file": "broker.pw", "tls": {"ca_file": "ca.pem"}},
             "cameras": [{"id": "a", "url": "rtsp://admin@10.0.0.1/s", "password_file": "cam.pw"}, {"id": "b", "url": "testsrc:"}]}
            """#
        let load = { try AppConfig.decode(Data(json.utf8), directory: directory, environment: [:]) }
        let original = try load()
        #expect(original.watchedFiles == ["broker.pw", "ca.pem", "cam.pw"].map { directory + "/" + $0 })
        #expect(ConfigDiff(from: original, to: try load()).isEmpty)
        try write("broker.pw", "two")
        let password = ConfigDiff(from: original, to: try load())
        #expect(password.amqpChanged && password.changed.isEmpty)
        #expect(password.steps(in: try load()).count == 2)
        try write("broker.pw", "one")
        try write("ca.pem", "ca two")
        let tls = ConfigDiff(from: original, to: try load())
        #expect(tls.amqpChanged && tls.changed.isEmpty)
        let camera = try load()
        try write("cam.pw", "cam2")
        let cameraDiff = ConfigDiff(from: camera, to: try load())
        #expect(!cameraDiff.amqpChanged && cameraDiff.changed.map(\.id) == ["a"] && cameraDiff.unchanged == ["b"])
    }
}
