import Foundation
import Testing

@testable import EdgeVideo

/// One test's world: a temporary directory with its configuration, its own RabbitMQ vhost (so
/// closing "all" connections touches only this test), the real `edge-video` binary as a
/// subprocess, and helpers to read its status and the frames it publishes.
final class ApplianceHarness: Sendable {
    let name: String
    let directory: String
    let configPath: String
    let vhost: String
    let exchange: String
    var brokerURL: String { "amqp://guest:guest@127.0.0.1:5672/\(vhost)" }

    /// `EDGE_VIDEO_BINARY` names another build's binary (scripts/tsan.sh and scripts/asan.sh run
    /// their sanitized one).
    static let binary = ProcessInfo.processInfo.environment["EDGE_VIDEO_BINARY"]
        ?? RepositoryFiles.path(".build/debug/edge-video")
    static let python = "/usr/bin/python3"

    init(_ name: String) throws {
        let unique = UUID().uuidString.prefix(8).lowercased()
        self.name = name
        directory = NSTemporaryDirectory() + "ev-\(name)-\(unique)"
        configPath = directory + "/supervision.json"
        vhost = "ev-test-\(name)-\(unique)"
        exchange = "ev.test.\(name).\(unique)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw TestProcess.Failure(description: "\(Self.binary) missing: run `swift build` before `swift test` (scripts/test.sh does)")
        }
        try Self.rabbitmqctl(["add_vhost", vhost])
        try Self.rabbitmqctl(["set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"])
    }

    deinit {
        _ = try? Self.rabbitmqctl(["delete_vhost", vhost])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `rabbitmqctl` (quietly) and returns its stdout; throws on a non-zero exit.
    @discardableResult
    static func rabbitmqctl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/rabbitmqctl")
        process.arguments = ["-q"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestProcess.Failure(description: "rabbitmqctl \(arguments) exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A camera entry for the configuration.
    static func camera(_ id: String, _ url: String, fps: Double = 5, width: Int = 320, height: Int = 180, stall: Double = 5) -> [String: Any] {
        ["id": id, "url": url, "fps": fps, "width": width, "height": height, "stall_timeout_s": stall]
    }

    /// The configuration document for `cameras` on this test's broker vhost and exchange.
    func document(_ cameras: [[String: Any]], amqp: [String: Any] = [:]) -> [String: Any] {
        [
            "amqp": (["urls": [brokerURL], "exchange": exchange, "heartbeat_s": 5, "confirm_timeout_s": 20] as [String: Any])
                .merging(amqp) { $1 },
            "status": ["file": "run/status.json"],
            "supervision": ["backoff": ["initial_s": 0.1, "max_s": 1, "jitter": 0.25], "shutdown_timeout_s": 10],
            "cameras": cameras,
        ]
    }

    /// Writes the configuration: by atomic rename, or in place (truncate and write).
    func writeConfig(_ cameras: [[String: Any]], amqp: [String: Any] = [:], atomically: Bool = true) throws {
        let data = try JSONSerialization.data(withJSONObject: document(cameras, amqp: amqp), options: .prettyPrinted)
        try writeRaw(data, atomically: atomically)
    }

    /// This test's broker connections: camera id → `connected_at` (ms since the epoch).
    func connections() throws -> [String: Int] {
        let output = try Self.rabbitmqctl(["list_connections", "-p", vhost, "connected_at", "client_properties"])
        var result: [String: Int] = [:]
        for line in output.split(separator: "\n") {
            guard let time = Int(line.prefix { $0.isNumber }),
                let marker = line.range(of: "edge-video camera:")
            else { continue }
            result[String(line[marker.upperBound...].prefix { $0 != "\"" })] = time
        }
        return result
    }

    /// Writes `data` as the configuration file.
    func writeRaw(_ data: Data, atomically: Bool = true) throws {
        if atomically {
            try data.write(to: URL(fileURLWithPath: configPath), options: .atomic)
        } else {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: configPath))
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: data)
            try handle.close()
        }
    }

    /// Starts `edge-video run` on the configuration.
    func start() throws -> TestProcess {
        try TestProcess(Self.binary, ["run", "--config", configPath], name: "edge-video")
    }

    /// The status file's path.
    var statusPath: String { directory + "/run/status.json" }

    /// A fresh status: SIGUSR1 to the instance, then the replaced status file.
    func status() async throws -> StatusDocument {
        // From the document this harness writes, not the file, which a test may have broken on purpose.
        var config = AppConfig()
        config.status.file = "run/status.json"
        let paths = StatusPaths(config: config, configPath: configPath)
        return try await StatusClient(paths: paths, timeout: .seconds(10)).request()
    }

    /// Polls the status until `condition` holds.
    /// Polls the status until `condition` holds; a failure shows `app`'s stderr.
    func waitForStatus(
        _ what: String, within timeout: Duration = .seconds(60), app: TestProcess? = nil,
        _ condition: @escaping (StatusDocument) -> Bool
    ) async throws -> StatusDocument {
        do {
            return try await eventually(within: timeout, what, poll: .milliseconds(200)) {
                let status = try await status()
                return condition(status) ? status : nil
            }
        } catch {
            guard let app else { throw error }
            throw TestProcess.Failure(description: "\(error)\nedge-video running: \(app.isRunning), stderr:\n\(app.stderr.suffix(3000))")
        }
    }

    /// Starts an AMQP consumer bound to the exchange (declaring it first, as edge-video does) and
    /// waits until it is bound. With `queue`, the queue is durable and named.
    func tap(key: String = "camera.#", queue: String? = nil, declareOnly: Bool = false) async throws -> TestProcess {
        var arguments = [RepositoryFiles.path("scripts/amqp-tap.py"), "--url", brokerURL, "--exchange", exchange, "--key", key]
        if let queue { arguments += ["--queue", queue] }
        if declareOnly { arguments += ["--declare-only"] }
        let tap = try TestProcess(Self.python, arguments, name: "amqp-tap")
        _ = try await first(tap.lines, within: .seconds(30), what: "tap READY") { $0.hasPrefix("READY") }
        return tap
    }

    /// Messages in `queue` now, and how many distinct message_ids (consumes them).
    func drain(queue: String) async throws -> (count: Int, distinct: Int) {
        let tap = try TestProcess(
            Self.python, [RepositoryFiles.path("scripts/amqp-tap.py"), "--url", brokerURL, "--drain", queue], name: "drain")
        let line = try await first(tap.lines, within: .seconds(60), what: "drain result") { $0.hasPrefix("{") }
        let json = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Int])
        return (json["count"] ?? -1, json["distinct"] ?? -1)
    }
}

/// One message as printed by `scripts/amqp-tap.py`.
struct TappedFrame: Decodable, Sendable {
    var routing_key: String
    var message_id: String?
    var content_type: String?
    var delivery_mode: Int?
    var timestamp: Int?
    var headers: [String: HeaderValue]
    var size: Int
    var jpeg_width: Int?
    var jpeg_height: Int?

    enum HeaderValue: Decodable, Sendable, Equatable {
        case int(Int64), string(String)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Int64.self) { self = .int(value) } else { self = .string(try container.decode(String.self)) }
        }
        var int: Int64? { if case .int(let value) = self { value } else { nil } }
        var string: String? { if case .string(let value) = self { value } else { nil } }
    }

    init(line: String) throws {
        self = try JSONDecoder().decode(TappedFrame.self, from: Data(line.utf8))
    }

    var cameraID: String? { headers["camera_id"]?.string }
    var seq: Int64? { headers["seq"]?.int }
}

/// A live RTSP server (gst-rtsp-server) with the given mounts; `url(mount)` once READY.
final class RTSPServer: Sendable {
    let process: TestProcess
    let base: String

    init(mounts: [String], size: String = "320x180", rate: Int = 10) async throws {
        var arguments = [RepositoryFiles.path("scripts/rtsp-server.py"), "--port", "0", "--size", size, "--rate", "\(rate)"]
        for mount in mounts { arguments += ["--mount", mount] }
        process = try TestProcess(ApplianceHarness.python, arguments, name: "rtsp-server")
        let ready = try await first(process.lines, within: .seconds(30), what: "RTSP server READY") { $0.hasPrefix("READY ") }
        base = String(ready.dropFirst("READY ".count))
    }

    func url(_ mount: String) -> String { base + mount }
}
