import EdgeVideoTestSupport
import Foundation
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// One test's world: a temporary directory with its configuration, its own RabbitMQ vhost (so
/// closing "all" connections touches only this test) on the shared node or on a scratch node, the
/// real `edge-video` binary as a subprocess, and helpers to read its status and the frames it
/// publishes.
final class ApplianceHarness: Sendable {
    let name: String
    let directory: String
    let configPath: String
    let vhost: String
    let exchange: String
    /// The `http` section written to the configuration: off unless a test asks for the endpoint
    /// (port 0: a free port, read from the log).
    let httpPort: Int?
    /// The node's name for `rabbitmqctl -n` (`nil`: the shared node).
    let node: String?
    /// The broker's own AMQP port (consumers and checks use it).
    let brokerPort: Int
    /// The port edge-video connects to: the broker's, or a fault proxy's in front of it.
    let appPort: Int
    /// The ports of every broker URL edge-video is given, in order (a cluster's nodes).
    let appPorts: [Int]
    /// edge-video's (first) broker URL.
    var brokerURL: String { url(port: appPort) }
    /// The URL of this test's vhost on 127.0.0.1:`port`.
    func url(port: Int) -> String { "amqp://guest:guest@127.0.0.1:\(port)/\(vhost)" }
    /// The broker URL for the test's own consumers (never through a proxy).
    var directURL: String { "amqp://guest:guest@127.0.0.1:\(brokerPort)/\(vhost)" }

    /// The command under test: `EDGE_VIDEO_BINARY`, else the debug build's `edge-video` (the
    /// launcher, which execs ``realBinary``; Package.swift).
    static let binary = ProcessInfo.processInfo.environment["EDGE_VIDEO_BINARY"] ?? RepositoryFiles.path(".build/debug/edge-video")
    /// The real program beside ``binary``, which the launcher execs.
    static let realBinary = (binary as NSString).deletingLastPathComponent + "/edge-video-main"
    static let python = "/usr/bin/python3"

    /// - Parameters:
    ///   - scratch: a node of the test's own, for faults that harm the broker; the shared node when nil.
    ///   - appPort: where edge-video connects (a proxy's port); the broker's when nil.
    ///   - appPorts: every port edge-video is given a URL for, in order (a cluster); `[appPort]` when nil.
    ///   - httpPort: the endpoint's port (0: a free one); the endpoint is off when nil.
    ///   - sink: on the shared node, bind a short queue (``sinkQueue``) to the exchange for every
    ///     camera's key before edge-video starts, so that its frames are routed and confirmed
    ///     (published `mandatory`, frames no queue takes come back as `returned`). Tests that
    ///     count deliveries bind queues of their own; a scratch node never gets a sink.
    init(
        _ name: String, scratch: ScratchNode? = nil, appPort: Int? = nil, appPorts: [Int]? = nil, httpPort: Int? = nil,
        sink: Bool = true
    ) throws {
        self.httpPort = httpPort
        let unique = UUID().uuidString.prefix(8).lowercased()
        self.name = name
        directory = NSTemporaryDirectory() + "ev-\(name)-\(unique)"
        configPath = directory + "/supervision.json"
        vhost = "ev-test-\(name)-\(unique)"
        exchange = "ev.test.\(name).\(unique)"
        node = scratch?.node
        brokerPort = scratch?.port ?? 5672
        self.appPort = appPorts?.first ?? appPort ?? brokerPort
        self.appPorts = appPorts ?? [self.appPort]
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw TestProcess.Failure(description: "\(Self.binary) missing: run `swift build` before `swift test` (scripts/test.sh does)")
        }
        try Self.rabbitmqctl(["add_vhost", vhost], node: node)
        try Self.rabbitmqctl(["set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], node: node)
        if sink && scratch == nil {
            try Self.run(Self.python, [
                RepositoryFiles.path("scripts/amqp-tap.py"), "--url", directURL, "--exchange", exchange, "--key", "camera.#",
                "--queue", Self.sinkQueue, "--declare-only", "--queue-arg", "x-max-length=100", "--queue-arg", "x-max-length-bytes=20000000",
            ])
        }
    }

    /// The queue ``init(_:scratch:appPort:appPorts:httpPort:sink:)`` binds (its newest 100
    /// frames); deleted with the vhost.
    static let sinkQueue = "ev.test.sink"

    deinit {
        _ = try? Self.rabbitmqctl(["delete_vhost", vhost], node: node)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `rabbitmqctl` (quietly, on `node` or the shared node) and returns its stdout; throws on a
    /// non-zero exit. Stopped after `timeout`: a test that failed while its scratch node was frozen
    /// (SIGSTOP) still deletes its vhost in `deinit`, before the node is thawed, and must not hang there.
    @discardableResult
    static func rabbitmqctl(_ arguments: [String], node: String? = nil, timeout: Double = 60) throws -> String {
        try run("/usr/sbin/rabbitmqctl", (node.map { ["-n", $0] } ?? []) + ["-q"] + arguments, timeout: timeout)
    }

    /// Runs `executable` to completion (stopped after `timeout`) and returns its stdout; throws
    /// on a non-zero exit.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: Double = 60) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        defer { watchdog.cancel() }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestProcess.Failure(description: "\(executable) \(arguments) exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A camera entry for the configuration.
    static func camera(_ id: String, _ url: String, fps: Double = 5, width: Int = 320, height: Int = 180, stall: Double = 5) -> [String: Any] {
        ["id": id, "url": url, "fps": fps, "width": width, "height": height, "stall_timeout_s": stall]
    }

    /// The configuration document for `cameras` on this test's broker vhost and exchange.
    func document(_ cameras: [[String: Any]], amqp: [String: Any] = [:], spool: [String: Any] = [:]) -> [String: Any] {
        [
            "spool": spool,
            "amqp": (["urls": appPorts.map(url(port:)), "exchange": exchange, "heartbeat_s": 5, "confirm_timeout_s": 20] as [String: Any])
                .merging(amqp) { $1 },
            "status": ["file": "run/status.json"],
            "http": httpPort.map { ["port": $0] as [String: Any] } ?? ["enabled": false],
            "supervision": ["backoff": ["initial_s": 0.1, "max_s": 1, "jitter": 0.25], "shutdown_timeout_s": 10],
            "cameras": cameras,
        ]
    }

    /// Writes the configuration: by atomic rename, or in place (truncate and write).
    func writeConfig(
        _ cameras: [[String: Any]], amqp: [String: Any] = [:], spool: [String: Any] = [:], atomically: Bool = true
    ) throws {
        let data = try JSONSerialization.data(withJSONObject: document(cameras, amqp: amqp, spool: spool), options: .prettyPrinted)
        try writeRaw(data, atomically: atomically)
    }

    /// This test's broker connections: camera id → `connected_at` (ms since the epoch).
    func connections() throws -> [String: Int] {
        let output = try Self.rabbitmqctl(["list_connections", "vhost", "connected_at", "client_properties"], node: node)
        return Self.parseConnections(output, vhost: vhost)
    }

    /// `list_connections vhost connected_at client_properties` output as camera id → `connected_at`,
    /// for the connections to `vhost` only (`list_connections` lists every vhost's).
    static func parseConnections(_ output: String, vhost: String) -> [String: Int] {
        var result: [String: Int] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 2)
            guard fields.count == 3, fields[0] == vhost, let time = Int(fields[1]),
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

    /// Starts `edge-video run` on the configuration, with the ledger trace on (the status lists
    /// each camera's confirmed `message_id`s, for ``ConfirmedIDs``). `binary`: another copy of
    /// the program (``privateBinary()``).
    func start(environment: [String: String] = [:], binary: String = ApplianceHarness.binary) throws -> TestProcess {
        try TestProcess(
            binary, ["run", "--config", configPath], name: "edge-video",
            environment: ["EDGE_VIDEO_LEDGER_TRACE": "1"].merging(environment) { $1 })
    }

    /// A copy of the real program under test (``realBinary``) in this test's directory, written
    /// back to disk: a file no other process maps, whose page-cache pages are clean (the kernel's
    /// page-out skips pages other processes map and pages not yet written back). Run directly,
    /// without the launcher.
    func privateBinary() throws -> String {
        let copy = directory + "/edge-video"
        try FileManager.default.copyItem(atPath: Self.realBinary, toPath: copy)
        let descriptor = open(copy, O_RDONLY)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return copy
    }

    /// The status file's path.
    var statusPath: String { directory + "/run/status.json" }

    /// A fresh status: SIGUSR1 to the instance, then the replaced status file. Every status read
    /// is checked against the frame ledger's identities (a failure is recorded, the test goes on).
    func status() async throws -> StatusDocument {
        // From the document this harness writes, not the file, which a test may have broken on purpose.
        var config = AppConfig()
        config.status.file = "run/status.json"
        let paths = StatusPaths(config: config, configPath: configPath)
        let status = try await StatusClient(paths: paths, timeout: .seconds(10)).request()
        Self.checkLedger(status)
        return status
    }

    /// Records an issue for every camera whose ledger identities do not hold.
    static func checkLedger(_ status: StatusDocument, sourceLocation: SourceLocation = #_sourceLocation) {
        for (id, camera) in status.cameras where !camera.ledgerIdentitiesHold {
            Issue.record("camera \(id): frame ledger identities broken: \(camera)", sourceLocation: sourceLocation)
        }
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
    /// `queueArguments` are `KEY=VALUE` queue arguments (integers where they parse), e.g. `x-max-length=5`.
    /// `via` is the URL to declare through (the node that leads a quorum queue); `directURL` when nil.
    func tap(
        key: String = "camera.#", queue: String? = nil, declareOnly: Bool = false, queueArguments: [String] = [],
        via: String? = nil
    ) async throws -> TestProcess {
        var arguments = [RepositoryFiles.path("scripts/amqp-tap.py"), "--url", via ?? directURL, "--exchange", exchange, "--key", key]
        if let queue { arguments += ["--queue", queue] }
        if declareOnly { arguments += ["--declare-only"] }
        for argument in queueArguments { arguments += ["--queue-arg", argument] }
        let tap = try TestProcess(Self.python, arguments, name: "amqp-tap")
        _ = try await first(tap.lines, within: .seconds(30), what: "tap READY") { $0.hasPrefix("READY") }
        return tap
    }

    /// Messages in `queue` now: how many, how many distinct message_ids, and the distinct `seq`
    /// headers by camera id (consumes them).
    func drain(queue: String) async throws -> (count: Int, distinct: Int, seqs: [String: Set<Int>], ids: ConfirmedIDs) {
        let tap = try TestProcess(
            Self.python, [RepositoryFiles.path("scripts/amqp-tap.py"), "--url", directURL, "--drain", queue], name: "drain")
        let line = try await first(tap.lines, within: .seconds(900), what: "drain result") { $0.hasPrefix("{") }
        let json = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        // Runs of consecutive seqs, [[first, last], ...] (scripts/amqp-tap.py --drain).
        let seqs = (json["seqs"] as? [String: [[Int]]] ?? [:]).mapValues { runs in
            Set(runs.filter { $0.count == 2 && $0[0] <= $0[1] }.flatMap { $0[0]...$0[1] })
        }
        let ids = (json["ids"] as? [String: [[Int]]] ?? [:]).mapValues { runs in
            Set(runs.filter { $0.count == 2 && $0[0] <= $0[1] }.flatMap { $0[0]...$0[1] })
        }
        return (json["count"] as? Int ?? -1, json["distinct"] as? Int ?? -1, seqs, ConfirmedIDs(byPrefix: ids))
    }
}

/// Frames by `message_id`: the numbers after the last `-`, by prefix (`<camera>-<instance>`), as
/// the status's `confirmed_ids` (`EDGE_VIDEO_LEDGER_TRACE=1`) and `amqp-tap.py --drain` give them.
struct ConfirmedIDs: Sendable, Equatable {
    var byPrefix: [String: Set<Int>]

    init(byPrefix: [String: Set<Int>]) {
        self.byPrefix = byPrefix
    }

    /// Parses `prefix:first-last,n,…;prefix:…`.
    init(summary: String?) {
        var table: [String: Set<Int>] = [:]
        for group in (summary ?? "").split(separator: ";") {
            guard let colon = group.lastIndex(of: ":") else { continue }
            var numbers = Set<Int>()
            for part in group[group.index(after: colon)...].split(separator: ",") {
                let bounds = part.split(separator: "-").compactMap { Int($0) }
                if bounds.count == 2, bounds[0] <= bounds[1] { numbers.formUnion(bounds[0]...bounds[1]) }
                if bounds.count == 1 { numbers.insert(bounds[0]) }
            }
            table[String(group[..<colon]), default: []].formUnion(numbers)
        }
        byPrefix = table
    }

    /// How many frames.
    var count: Int { byPrefix.values.reduce(0) { $0 + $1.count } }

    /// The frames of this set that `other` does not have, as `prefix-n` ids.
    func missing(from other: ConfirmedIDs) -> [String] {
        byPrefix.sorted { $0.key < $1.key }.flatMap { prefix, numbers in
            numbers.subtracting(other.byPrefix[prefix] ?? []).sorted().map { "\(prefix)-\($0)" }
        }
    }

    /// Only the prefixes of `camera`.
    func of(camera: String) -> ConfirmedIDs {
        ConfirmedIDs(byPrefix: byPrefix.filter { $0.key.hasPrefix(camera + "-") })
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

    init(mounts: [String], size: String = "320x180", rate: Int = 10, port: Int = 0) async throws {
        var arguments = [RepositoryFiles.path("scripts/rtsp-server.py"), "--port", "\(port)", "--size", size, "--rate", "\(rate)"]
        for mount in mounts { arguments += ["--mount", mount] }
        process = try TestProcess(ApplianceHarness.python, arguments, name: "rtsp-server")
        let ready = try await first(process.lines, within: .seconds(30), what: "RTSP server READY") { $0.hasPrefix("READY ") }
        base = String(ready.dropFirst("READY ".count))
    }

    func url(_ mount: String) -> String { base + mount }
}
