import Foundation
import Testing

/// `edge-video check` (the real binary) on broken configurations.
@Suite struct CheckCommandTests {
    private func check(_ json: String) async throws -> (status: Int32, stderr: String, stdout: [String]) {
        let path = NSTemporaryDirectory() + "ev-check-\(UUID().uuidString).json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = try TestProcess(ApplianceHarness.binary, ["check", "--config", path], name: "check")
        let status = try await process.waitForExit(within: .seconds(30))
        let lines = try await process.allLines(within: .seconds(30))
        return (status, process.stderr, lines)
    }

    @Test(.timeLimit(.minutes(1))) func brokenConfigsNameTheirPathAndExit1() async throws {
        let cases: [(String, [String])] = [
            (#"{"cameras":[{"id":"a","url":"testsrc:"},{"id":"b","url":"testsrc:"},{"id":"c","url":"testsrc:","fps":0}]}"#,
             ["cameras[2].fps: must be > 0"]),
            (#"{"cameras":[{"id":"a","url":"testsrc:"},{"id":"a","url":"testsrc:"}]}"#, ["cameras[1].id: duplicate id"]),
            (#"{"cameras":[{"id":"a","url":"gopher://x"}]}"#, ["cameras[0].url: unsupported URL"]),
            (#"{"amqp":{"urls":["amqp://u:hunter2@:5672/"]},"cameras":[]}"#, ["amqp.urls[0]: missing host"]),
            (#"{"cameras":[{"id":"a","url":"testsrc:","jpeg_quality":0,"width":320}],"supervision":{"period_s":-1}}"#,
             ["supervision.period_s: must be > 0", "cameras[0].jpeg_quality: must be >= 1", "cameras[0]: width and height go together"]),
            (#"{"cameras": [}"#, ["invalid JSON"]),
        ]
        for (json, expected) in cases {
            let result = try await check(json)
            #expect(result.status == 1, "\(json)")
            for text in expected {
                #expect(result.stderr.contains(text), "expected \(text) for \(json), got \(result.stderr)")
            }
            #expect(!result.stderr.contains("hunter2"))
        }
        let good = try await check(#"{"cameras":[{"id":"a","url":"testsrc:"}]}"#)
        #expect(good.status == 0 && good.stdout.first?.hasSuffix("OK, 1 camera(s)") == true)
    }

    @Test(.timeLimit(.minutes(1))) func usageErrorsExit64() async throws {
        let process = try TestProcess(ApplianceHarness.binary, ["run", "--no-such-option"], name: "usage")
        #expect(try await process.waitForExit(within: .seconds(30)) == 64)
    }

    @Test(.timeLimit(.minutes(1))) func invalidConfigAtStartExits1() async throws {
        let path = NSTemporaryDirectory() + "ev-run-bad-\(UUID().uuidString).json"
        try Data(#"{"cameras":[{"id":"a","url":"testsrc:","fps":-1}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = try TestProcess(ApplianceHarness.binary, ["run", "--config", path], name: "run")
        #expect(try await process.waitForExit(within: .seconds(30)) == 1)
        #expect(process.stderr.contains("cameras[0].fps: must be > 0"))
    }
}
