import Foundation
import Supervision
import Testing

@testable import EdgeVideo

/// SIGUSR1 during startup: the real binary, spawned again and again, signalled at random moments.
@Suite struct StartupSignalTests {
    /// A configuration with no camera: the shortest startup, so that the signals land in it.
    private static func makeConfig() throws -> (directory: String, config: String) {
        let directory = NSTemporaryDirectory() + "ev-startsig-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = directory + "/supervision.json"
        let document: [String: Any] = [
            "amqp": ["urls": ["amqp://guest:guest@127.0.0.1:5672/"], "exchange": "ev.test.startsig"],
            "status": ["file": "run/status.json"],
            "cameras": [],
        ]
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: config))
        return (directory, config)
    }

    /// Whether `pid` catches `signal` (its `SigCgt` mask in /proc): edge-video's first instruction has run.
    private static func catches(_ pid: Int32, _ signal: Int32) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
            let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << UInt64(signal - 1)) != 0
    }

    /// What one run measured.
    private struct Run: Sendable {
        /// From spawn to edge-video's first instruction (the dynamic loader's time).
        var loader: Duration
    }

    /// One spawn: SIGUSR1 at `delay` after edge-video's first instruction, then the echoed
    /// status, then `edge-video status`.
    private static func run(delay: Duration) async throws -> Run {
        let (directory, config) = try makeConfig()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spawned = ContinuousClock.now
        let app = try TestProcess(ApplianceHarness.binary, ["run", "--config", config], name: "edge-video")
        // Until its first instruction the process belongs to the dynamic loader, which nothing
        // in edge-video can precede; the moments are drawn from there (/proc shows the handler).
        while !catches(app.pid, SIGUSR1) {
            guard app.isRunning else { throw TestProcess.Failure(description: "edge-video exited during startup:\n\(app.stderr)") }
            try await Task.sleep(for: .milliseconds(1))
        }
        let firstInstruction = ContinuousClock.now
        try await Task.sleep(until: firstInstruction + delay)
        app.signal(SIGUSR1)
        // The early SIGUSR1 is answered once the handlers are in: the status tree on stderr.
        _ = try await eventually(within: .seconds(60), "the status echoed for the early SIGUSR1", poll: .milliseconds(20)) {
            guard app.isRunning else { throw TestProcess.Failure(description: "edge-video died:\n\(app.stderr)") }
            return app.stderr.contains("  pid \(app.pid)  ") ? true : nil
        }
        let status = try await runStatusCommand(config: config)
        #expect(status.code == 0, "\(status.stderr)")
        let document = try JSONDecoder().decode(StatusDocument.self, from: status.stdout)
        #expect(document.pid == app.pid)
        app.signal(SIGTERM)
        #expect(try await app.waitForExit(within: .seconds(60)) == 0, "\(app.stderr.suffix(2000))")
        #expect(!FileManager.default.fileExists(atPath: directory + "/run/edge-video.pid"))
        return Run(loader: firstInstruction - spawned)
    }

    @Test(.timeLimit(.minutes(10))) func sigusr1WithinHalfASecondOfStartNeverKills() async throws {
        var generator = SplitMix64(seed: 0x5EED_0009)
        let delays = (0..<200).map { _ in Duration.microseconds(Int64(generator.next() % 500_000)) }
        var runs: [Run] = []
        // 8 at a time: the startups overlap, as restarts under load do, and the suite stays short.
        for batch in stride(from: 0, to: delays.count, by: 8) {
            try await withThrowingTaskGroup(of: Run.self) { group in
                for delay in delays[batch..<min(batch + 8, delays.count)] {
                    group.addTask { try await Self.run(delay: delay) }
                }
                for try await run in group { runs.append(run) }
            }
        }
        #expect(runs.count == 200)
        let loader = runs.map(\.loader).sorted()
        print(
            "startup SIGUSR1: \(runs.count) runs, signalled 0-500 ms after the first instruction: none died, "
                + "every status answered; spawn to first instruction (dynamic loader, 8 spawning at once): "
                + "median \(loader[loader.count / 2]), max \(loader.last!)")
    }
}

/// Runs `edge-video status --json` to its end (awaited, not blocking a thread): exit code,
/// stdout, stderr. The output goes through files, which never fill up as a pipe can.
func runStatusCommand(config: String, timeout: Int = 30) async throws -> (code: Int32, stdout: Data, stderr: String) {
    let base = NSTemporaryDirectory() + "ev-status-\(UUID().uuidString.prefix(8))"
    _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: base + ".out")
        try? FileManager.default.removeItem(atPath: base + ".err")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ApplianceHarness.binary)
    process.arguments = ["status", "--json", "--timeout", "\(timeout)", "--config", config]
    process.standardOutput = FileHandle(forWritingAtPath: base + ".out")
    process.standardError = FileHandle(forWritingAtPath: base + ".err")
    let code: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    let stdout = FileManager.default.contents(atPath: base + ".out") ?? Data()
    let stderr = String(decoding: FileManager.default.contents(atPath: base + ".err") ?? Data(), as: UTF8.self)
    return (code, stdout, stderr)
}

