import AMQPPublisher
import EdgeVideoTestSupport
import Foundation
import Logging
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// `password_file`: a broker or camera password kept outside the configuration, in a file next to
/// it or in systemd's `$CREDENTIALS_DIRECTORY`.
@Suite struct PasswordFileTests {
    /// Every printable ASCII character that means something in a URL, and some UTF-8.
    static let awkward = "p#w/d?x%41@:;[]é 🙂"

    final class Directory: Sendable {
        let path = NSTemporaryDirectory() + "ev-pw-\(UUID().uuidString)"
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path + "/" + name))
        }
    }

    private func decode(_ json: String, in directory: Directory, credentials: String? = nil) -> Result<AppConfig, ConfigError> {
        do {
            let environment = credentials.map { ["CREDENTIALS_DIRECTORY": $0] } ?? [:]
            return .success(try AppConfig.decode(Data(json.utf8), directory: directory.path, environment: environment))
        } catch {
            return .failure(error)
        }
    }

    @Test func passwordsGoIntoTheURLsPercentEncoded() throws {
        let dir = try Directory()
        try dir.write("broker.pw", Self.awkward + "\n")
        try dir.write("cam.pw", Self.awkward)
        let json = #"""
            {"amqp": {"urls": ["amqp://edge@b1/%2f", "amqps://edge@b2:5671/v"], "password_file": "broker.pw"},
             "cameras": [{"id": "a", "url": "rtsp://admin@cam/s?x=1", "password_file": "cam.pw"}]}
            """#
        let config = try decode(json, in: dir).get()
        for url in config.amqp.urls {
            let endpoint = try AMQPEndpoint(url: url)
            #expect(endpoint.user == "edge" && endpoint.password == Self.awkward)
        }
        #expect(config.cameras[0].url.hasPrefix("rtsp://admin:p%23w%2Fd%3Fx%2541%40%3A%3B%5B%5D%C3%A9%20%F0%9F%99%82@cam/s?x=1"))
        #expect(config.amqp.passwordFile == "broker.pw" && config.cameras[0].passwordFile == "cam.pw")
    }

    @Test func bareNamesComeFromTheCredentialsDirectory() throws {
        let dir = try Directory()
        let credentials = try Directory()
        try dir.write("cam.pw", "beside-the-config")
        try credentials.write("cam.pw", "from-systemd")
        let json = #"{"cameras": [{"id": "a", "url": "rtsp://admin@cam/s", "password_file": "cam.pw"}]}"#
        #expect(try decode(json, in: dir, credentials: credentials.path).get().cameras[0].url == "rtsp://admin:from-systemd@cam/s")
        #expect(try decode(json, in: dir).get().cameras[0].url == "rtsp://admin:beside-the-config@cam/s")
        // A path with a directory part is never taken from the credentials directory.
        try FileManager.default.createDirectory(atPath: dir.path + "/sub", withIntermediateDirectories: true)
        try dir.write("sub/cam.pw", "in-sub")
        let sub = #"{"cameras": [{"id": "a", "url": "rtsp://admin@cam/s", "password_file": "sub/cam.pw"}]}"#
        #expect(try decode(sub, in: dir, credentials: credentials.path).get().cameras[0].url == "rtsp://admin:in-sub@cam/s")
    }

    /// The unit loads /etc/edge-video/credentials as a whole (deploy/edge-video.service), which
    /// systemd names `edge-video_FILE`: the configuration still says `FILE`, and an exact name wins.
    @Test func bareNamesFindTheCredentialsOfTheLoadedDirectory() throws {
        let dir = try Directory()
        let credentials = try Directory()
        try credentials.write("edge-video_broker.password", "from-the-directory")
        let json = #"{"amqp": {"urls": ["amqp://edge@b/%2f"], "password_file": "broker.password"}, "cameras": []}"#
        #expect(try AMQPEndpoint(url: decode(json, in: dir, credentials: credentials.path).get().amqp.urls[0]).password == "from-the-directory")
        try credentials.write("broker.password", "exact")
        #expect(try AMQPEndpoint(url: decode(json, in: dir, credentials: credentials.path).get().amqp.urls[0]).password == "exact")
        // Without the environment the prefixed file is not looked for beside the configuration.
        try dir.write("edge-video_broker.password", "beside")
        guard case .failure = decode(json, in: dir) else {
            Issue.record("read edge-video_broker.password beside the configuration")
            return
        }
    }

    @Test func problemsNameTheJSONPathAndNeverThePassword() throws {
        let dir = try Directory()
        try dir.write("pw", "s3cr#t")
        try dir.write("empty", "\n")
        try dir.write("two-lines", "s3cr#t\nmore")
        let cases: [(String, String)] = [
            (#"{"amqp": {"password_file": "missing"}, "cameras": []}"#, "amqp.password_file: cannot read \(dir.path)/missing: no such file"),
            (#"{"amqp": {"password_file": "empty"}, "cameras": []}"#, "amqp.password_file: \(dir.path)/empty is empty"),
            (#"{"amqp": {"password_file": "two-lines"}, "cameras": []}"#, "amqp.password_file: \(dir.path)/two-lines must hold the password on one line"),
            (#"{"amqp": {"password_file": ""}, "cameras": []}"#, "amqp.password_file: must name a file"),
            (#"{"amqp": {"urls": ["amqp://u:old@h/"], "password_file": "pw"}, "cameras": []}"#, "amqp.urls[0]: the URL already holds a password"),
            (#"{"amqp": {"urls": ["amqp://h/"], "password_file": "pw"}, "cameras": []}"#, "amqp.urls[0]: the URL must name a user"),
            (#"{"cameras": [{"id": "a", "url": "rtsp://cam/s", "password_file": "pw"}]}"#, "cameras[0].url: the URL must name a user"),
            (#"{"cameras": [{"id": "a", "url": "testsrc:", "password_file": "pw"}]}"#, "cameras[0].password_file: only rtsp(s):// and http(s):// cameras"),
            (#"{"cameras": [{"id": "a", "url": "rtsp://u@cam/s", "password_file": 5}]}"#, "cameras[0].password_file: must be a string"),
        ]
        for (json, expected) in cases {
            guard case .failure(let error) = decode(json, in: dir) else {
                Issue.record("accepted \(json)")
                continue
            }
            #expect(error.description.hasPrefix(expected), "\(error.description)")
            #expect(!error.description.contains("s3cr"))
        }
    }

    @Test func aReloadReadsTheFileAgain() async throws {
        let dir = try Directory()
        try dir.write("cam.pw", "first")
        let path = dir.path + "/supervision.json"
        try Data(#"{"cameras": [{"id": "a", "url": "rtsp://admin@cam/s", "password_file": "cam.pw"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let state = ConfigState(path: path, config: try AppConfig.load(path: path, environment: [:]))
        let fleet = RecordingFleet()
        let reloader = Reloader(state: state, fleet: fleet, logger: Logger(label: "test"))
        try dir.write("cam.pw", "second")
        let diff = await reloader.reload()
        #expect(diff?.changed.map(\.url) == ["rtsp://admin:second@cam/s"])
        try FileManager.default.removeItem(atPath: dir.path + "/cam.pw")
        #expect(await reloader.reload() == nil)
        #expect(state.current.config.cameras[0].url == "rtsp://admin:second@cam/s")
        #expect(state.current.lastError?.hasPrefix("cameras[0].password_file: cannot read") == true)
    }
}

extension BinaryTests {
    /// The real binary logs in to the real broker with a password that only a credentials
    /// directory holds, as under systemd's `LoadCredential=`.
    @Suite struct PasswordFileBinaryTests {
        @Test(.timeLimit(.minutes(2))) func brokerPasswordFromTheCredentialsDirectory() async throws {
            let h = try ApplianceHarness("pwfile")
            let user = "ev-\(UUID().uuidString.prefix(8))"
            try ApplianceHarness.rabbitmqctl(["add_user", user, PasswordFileTests.awkward])
            defer { _ = try? ApplianceHarness.rabbitmqctl(["delete_user", user]) }
            try ApplianceHarness.rabbitmqctl(["set_permissions", "-p", h.vhost, user, ".*", ".*", ".*"])
            let credentials = try PasswordFileTests.Directory()
            try credentials.write("broker.pw", PasswordFileTests.awkward + "\n")
            try h.writeConfig(
                [ApplianceHarness.camera("synthetic", "testsrc:?size=320x180&rate=10")],
                amqp: ["urls": ["amqp://\(user)@127.0.0.1:5672/\(h.vhost)"], "password_file": "broker.pw"])
            let app = try TestProcess(
                ApplianceHarness.binary, ["run", "--config", h.configPath], name: "edge-video",
                environment: ["CREDENTIALS_DIRECTORY": credentials.path])
            _ = try await eventually(within: .seconds(60), "started") { app.stderr.contains("edge-video started") ? true : nil }
            let status = try await h.waitForStatus("the camera publishes as \(user)", app: app) { status in
                status.cameras["synthetic"]?.confirmed ?? 0 >= 3
            }
            #expect(status.cameras["synthetic"]?.lastError == nil)
            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(30)) == 0)
            #expect(!app.stderr.contains("p#w/d"))
        }
    }
}
