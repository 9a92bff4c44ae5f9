import AMQPPublisher
import CFFmpeg
import EdgeVideoTestSupport
import Foundation
import Logging
import SecretRedaction
import Supervision
import Locking
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig
@testable import VideoPipeline

/// 10,000 generated passwords, every printable ASCII character plus UTF-8, unescaped in their
/// URLs, through every path that can print a URL: `check` (the binary), live reload, capture
/// open, AMQP connect and the libav log. No password, nor any stretch of one, may come out.
@Suite(.serialized) struct RedactionPathsTests {
    static let count = 10_000

    /// One generated password and the marks that reveal it in any output.
    struct Secret: Sendable {
        var password: String
        /// Three 7-character marks spread through the password: any leaked stretch of about ten
        /// characters or more holds one of them.
        var marks: [String]
    }

    /// The generated passwords (seeded: a failure replays).
    static let secrets: [Secret] = {
        var generator = SplitMix64(seed: 0x0009_5EC2)
        let ascii = (0x20...0x7E).map { String(UnicodeScalar(UInt8($0))) }
        let unicode = ["é", "ß", "Ω", "日本", "🔑", "ñ", "\u{00A0}", "Ж"]
        let alphabet = ascii + unicode
        let letters = Array("ABCDEFGHJKLMNPRSTUVWXYZ")
        func random(_ n: Int) -> String {
            (0..<n).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }.joined()
        }
        func mark() -> String {
            "Qz" + String((0..<4).map { _ in letters[Int(generator.next() % UInt64(letters.count))] }) + "q"
        }
        // The characters that broke the old redaction, each forced into some passwords.
        let hard = ["#", "/", "?", "%", "@", " ", "://", "@x/", "%40", "\"", "'", "\\", "é"]
        return (0..<count).map { index in
            let marks = [mark(), mark(), mark()]
            let extra = index < hard.count * 20 ? hard[index % hard.count] : ""
            let password = random(3) + extra + marks[0] + random(5) + marks[1] + random(5) + extra + marks[2] + random(3)
            return Secret(password: password, marks: marks)
        }
    }()

    /// Which secret each mark belongs to.
    static let owners: [String: Int] = {
        var owners: [String: Int] = [:]
        for (index, secret) in secrets.enumerated() { for mark in secret.marks { owners[mark] = index } }
        return owners
    }()

    /// The first leak found in `text`, described; `nil` when no mark of any secret shows.
    /// One pass over the text: every `Qz....q` in it is looked up (a whole password holds marks).
    static func leak(in text: String) -> String? {
        let bytes = Array(text.utf8)
        var i = 0
        while i + 7 <= bytes.count {
            if bytes[i] == UInt8(ascii: "Q"), bytes[i + 1] == UInt8(ascii: "z"), bytes[i + 6] == UInt8(ascii: "q"),
                let owner = owners[String(decoding: bytes[i..<(i + 7)], as: UTF8.self)]
            {
                let mark = String(decoding: bytes[i..<(i + 7)], as: UTF8.self)
                let lineStart = bytes[..<i].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
                let lineEnd = bytes[i...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                let line = String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self)
                return "part of \(Self.secrets[owner].password.debugDescription) (\(mark)) in: \(line)"
            }
            i += 1
        }
        return nil
    }

    /// A camera URL with the password raw; the user is an IP literal, so that wherever a parser
    /// ends the host, no name lookup is needed.
    static func cameraURL(_ password: String, scheme: String = "rtsp", port: Int = 554) -> String {
        "\(scheme)://127.0.0.1:\(password)@127.0.0.1:\(port)/stream"
    }

    /// Every output of the binary's `check`, on configurations of 500 cameras each.
    @Test(.timeLimit(.minutes(5))) func check() async throws {
        let directory = NSTemporaryDirectory() + "ev-redact-check-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var printed = 0
        for (batch, start) in stride(from: 0, to: Self.count, by: 500).enumerated() {
            let secrets = Self.secrets[start..<min(start + 500, Self.count)]
            let path = directory + "/supervision-\(batch).json"
            try Self.writeConfig(secrets, to: path)
            let result = try await Command.outcome(ApplianceHarness.binary, ["check", "--config", path], mergeErrors: true)
            #expect(result.code == 1, "the unsupported schemes make every batch invalid")
            printed += result.output.utf8.count
            if let leak = Self.leak(in: result.output) { Issue.record("check printed \(leak)") }
        }
        print("redaction/check: \(Self.count) passwords, \(printed) bytes of output, no leak")
    }

    /// The reload rejects (or applies) the same files; its log and `last_error` are checked.
    @Test(.timeLimit(.minutes(5))) func liveReload() async throws {
        let directory = NSTemporaryDirectory() + "ev-redact-reload-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/supervision.json"
        try Data(#"{"cameras":[{"id":"a","url":"testsrc:"}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        let state = ConfigState(path: path, config: try AppConfig.load(path: path))
        let log = LogCapture()
        let reloader = Reloader(state: state, fleet: RecordingFleet(), logger: log.logger("reload"))
        for start in stride(from: 0, to: Self.count, by: 500) {
            let secrets = Self.secrets[start..<min(start + 500, Self.count)]
            // Invalid (unsupported schemes): rejected with every issue logged and kept as last_error.
            try Self.writeConfig(secrets, to: path)
            #expect(await reloader.reload() == nil)
            let status = try String(decoding: StatusDocument(
                pid: 1, version: "", uptimeS: 0, liveTasks: 0,
                config: .init(path: path, generation: 1, lastError: state.current.lastError),
                tree: SupervisorSnapshot(id: "root", kind: .supervisor, state: .running), cameras: [:]
            ).jsonData(), as: UTF8.self)
            // Valid where the URL parses: applied; the fleet's steps are what a real tree would log.
            try Self.writeConfig(secrets, to: path, onlyCameras: true)
            _ = await reloader.reload()
            let text = log.drain() + status
            if let leak = Self.leak(in: text) { Issue.record("reload printed \(leak)") }
        }
    }

    /// Capture opens every URL (a closed port: refused at once) and fails; its error, its log
    /// and the libav lines logged meanwhile are checked. `@` inside these passwords is written
    /// `%40`: a raw one would make libav look up whatever follows it as a host name, 10,000 DNS
    /// queries; raw `@` goes through every other path here.
    @Test(.timeLimit(.minutes(10))) func captureOpen() async throws {
        let port = try freePort()
        let log = LogCapture()
        let libav = Locked("")
        let opened = Locked(0)
        await FFmpegLog.withObserver({ line in libav.withLock { $0 += line + "\n" } }) {
            for start in stride(from: 0, to: Self.count, by: 16) {
                let secrets = Array(Self.secrets[start..<min(start + 16, Self.count)])
                let errors = await withTaskGroup(of: String.self) { group in
                    for secret in secrets {
                        let url = Self.cameraURL(secret.password.replacingOccurrences(of: "@", with: "%40"), port: port)
                        group.addTask {
                            let capture = Capture(
                                configuration: PipelineConfiguration(url: url, fps: 1, stallTimeout: .seconds(5)),
                                output: FrameQueue(capacity: 1), counters: PipelineCounters(), name: "redact",
                                logger: log.logger("capture"))
                            do {
                                try await capture.run()
                                return "opened?"
                            } catch {
                                return "\(error)"
                            }
                        }
                    }
                    return await group.reduce(into: "") { $0 += $1 + "\n" }
                }
                let text = errors + log.drain() + libav.withLock { text in defer { text = "" }; return text }
                if let leak = Self.leak(in: text) { Issue.record("capture printed \(leak)") }
                opened.withLock { $0 += errors.split(separator: "\n").filter { $0.contains("cannot open") }.count }
            }
        }
        // Most URLs reach libav (connection refused); the others fail validation first.
        let reached = opened.withLock { $0 }
        #expect(reached > Self.count / 2)
        print("redaction/capture: \(Self.count) URLs, \(reached) opened by libav and refused, no leak")
    }

    /// The publisher connects with every URL (a closed port) and fails; its error and log are checked.
    @Test(.timeLimit(.minutes(10))) func amqpConnect() async throws {
        let port = try freePort()
        let log = LogCapture()
        let refused = Locked(0)
        for start in stride(from: 0, to: Self.count, by: 16) {
            let secrets = Array(Self.secrets[start..<min(start + 16, Self.count)])
            let errors = await withTaskGroup(of: String.self) { group in
                for secret in secrets {
                    let url = Self.cameraURL(secret.password.replacingOccurrences(of: "@", with: "%40"), scheme: "amqp", port: port)
                    group.addTask {
                        var carried: [OutgoingMessage] = []
                        do {
                            try await PublisherConnection.withGeneration(
                                configuration: AMQPConfiguration(urls: [url], exchange: "ev.redact"), carrying: &carried,
                                logger: log.logger("amqp")) { _ in }
                            return "connected?"
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: "") { $0 += $1 + "\n" }
            }
            let text = errors + log.drain()
            if let leak = Self.leak(in: text) { Issue.record("AMQP connect printed \(leak)") }
            refused.withLock { $0 += errors.split(separator: "\n").filter { $0.contains("connect failed") }.count }
        }
        let reached = refused.withLock { $0 }
        #expect(reached > Self.count / 2)
        print("redaction/amqp: \(Self.count) URLs, \(reached) refused by the closed port, the others rejected as URLs, no leak")
    }

    /// libav lines carrying the URL, raw `@` included, past the old 1 KiB cut: through
    /// `av_log`, the shim's callback and the Swift handler.
    @Test(.timeLimit(.minutes(2))) func libavLog() async throws {
        let lines = Locked("")
        let padding = String(repeating: "x", count: 1000)
        await FFmpegLog.withObserver({ line in lines.withLock { $0 += line + "\n" } }) {
            for secret in Self.secrets {
                let url = Self.cameraURL(secret.password)
                CFFmpeg_av_log_text(AV_LOG_ERROR, "Opening '\(url)' for reading")
                // The password ends past byte 1024: the old shim cut the line before its `@`.
                CFFmpeg_av_log_text(AV_LOG_ERROR, "\(padding) rtsp://127.0.0.1:\(secret.password)@127.0.0.1/s")
                CFFmpeg_av_log_text(AV_LOG_ERROR, "method DESCRIBE failed: \(url) 401 Unauthorized")
            }
        }
        let text = lines.withLock { $0 }
        #expect(text.split(separator: "\n").count == 3 * Self.count)
        #expect(text.split(separator: "\n").allSatisfy { $0.utf8.count <= FFmpegLog.maxLineBytes + "…".utf8.count })
        if let leak = Self.leak(in: text) { Issue.record("libav log printed \(leak)") }
    }

    /// A configuration holding `secrets` in camera and broker URLs; unless `onlyCameras`, each
    /// also in URLs of unsupported schemes, which `check` names in its errors.
    static func writeConfig(_ secrets: some Collection<Secret>, to path: String, onlyCameras: Bool = false) throws {
        var cameras: [[String: Any]] = []
        var brokers: [String] = onlyCameras ? ["amqp://guest:guest@127.0.0.1/"] : []
        for (index, secret) in secrets.enumerated() {
            cameras.append(["id": "c\(index)", "url": cameraURL(secret.password)])
            if !onlyCameras {
                cameras.append(["id": "x\(index)", "url": cameraURL(secret.password, scheme: "rtspx")])
                brokers.append(cameraURL(secret.password, scheme: "amqp"))
            }
        }
        let document: [String: Any] = ["amqp": ["urls": brokers, "exchange": "ev.redact"], "cameras": cameras]
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: path))
    }
}

/// Collects log lines (message and metadata) from loggers made by ``logger(_:)``.
final class LogCapture: Sendable {
    private let text = Locked("")

    func logger(_ label: String) -> Logger {
        Logger(label: label) { _ in
            RecordingLogHandler { event, metadata in
                let all = metadata.merging(event.metadata ?? [:]) { $1 }
                self.text.withLock { $0 += "\(event.level) \(event.message) \(all)\n" }
            }
        }
    }

    /// The text so far, emptied.
    func drain() -> String { text.withLock { value in defer { value = "" }; return value } }
}

