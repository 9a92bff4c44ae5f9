import EdgeVideoTestSupport
import Foundation
import Testing

@testable import EdgeVideo

extension BinaryTests {
    /// The binary's log as journald and log shippers see it: `<N>` priorities and no timestamp
    /// when `JOURNAL_STREAM` names its stderr, JSON lines on request, the level and format changed
    /// by a live reload, the tree echoed only on an operator's SIGUSR1, and a current `STATUS=`.
    @Suite struct JournalLoggingTests {
        @Test(.timeLimit(.minutes(2))) func journalPrioritiesLiveLevelJSONAndQuietStatus() async throws {
            let h = try ApplianceHarness("journal")
            let socket = try NotifySocket()
            let cameras = [ApplianceHarness.camera("j1", "testsrc:?size=320x180&rate=10", fps: 5)]
            func write(level: String, format: String) throws {
                var document = h.document(cameras)
                document["logging"] = ["level": level, "format": format]
                try h.writeRaw(try JSONSerialization.data(withJSONObject: document))
            }
            try write(level: "warning", format: "text")
            let app = try TestProcess(
                ApplianceHarness.binary, ["run", "--config", h.configPath], name: "edge-video",
                environment: ["NOTIFY_SOCKET": socket.path], journalStream: true)

            // STATUS= follows the counters: the camera runs and frames flow.
            var statuses: [String] = []
            let flowing = try await eventually(within: .seconds(40), "a STATUS= with frames flowing", poll: .milliseconds(50)) { () -> String? in
                while let message = socket.tryReceive() {
                    for field in message.split(separator: "\n") where field.hasPrefix("STATUS=") { statuses.append(String(field.dropFirst(7))) }
                }
                // READY=1 carries a STATUS= of its own (cameras and config generation): wait for the counters.
                return statuses.last { $0.hasPrefix("1/1 cameras running, ") && $0.contains(" frames/s") && !$0.contains(" 0 frames/s") }
            }
            #expect(flowing.hasSuffix("frames/s, 0 dropped in the last minute"), "\(statuses)")

            // `edge-video status` writes the file without echoing the tree; an operator's SIGUSR1 echoes it.
            let quiet = try await h.status()
            #expect(quiet.cameras["j1"] != nil)
            #expect(!FileManager.default.fileExists(atPath: h.statusPath + ".request"), "the request file is consumed")
            app.signal(SIGUSR1)
            _ = try await eventually(within: .seconds(10), "the tree echoed on SIGUSR1") {
                app.stderr.contains("<6>└─ camera:j1") ? true : nil
            }
            #expect(app.stderr.components(separatedBy: "└─ camera:j1").count == 2, "echoed once, for the operator only:\n\(app.stderr)")

            // At warning, no info line; after a live reload to info, info lines appear.
            #expect(!app.stderr.contains("<6>edge-video: "), "\(app.stderr)")
            try write(level: "info", format: "text")
            _ = try await eventually(within: .seconds(20), "info lines after the reload") {
                app.stderr.contains("<6>edge-video: applying configuration") ? true : nil
            }
            #expect(app.stderr.contains("<5>edge-video: logging changed format=text level=info"))

            // JSON lines, still with their priority prefix.
            try write(level: "info", format: "json")
            let json = try await eventually(within: .seconds(20), "a JSON line after the reload") { () -> [String: Any]? in
                for line in app.stderr.split(separator: "\n") where line.hasPrefix("<6>{") && line.contains("applying configuration") {
                    return try JSONSerialization.jsonObject(with: Data(line.dropFirst(3).utf8)) as? [String: Any]
                }
                return nil
            }
            #expect(json["logger"] as? String == "edge-video" && json["level"] as? String == "info" && json["ts"] is String)

            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(30)) == 0)
            // Every line (ours and libav's) is prefixed, none carries a timestamp of its own.
            for line in app.stderr.split(separator: "\n") {
                #expect(line.range(of: #"^<[0-7]>"#, options: .regularExpression) != nil, "unprefixed: \(line)")
                #expect(line.range(of: #"^<[0-7]>\d{4}-\d\d-\d\d"#, options: .regularExpression) == nil, "timestamped: \(line)")
            }
        }
    }
}
