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

    /// A spawned `edge-video run`, its stderr in a file.
    private struct Spawned {
        let pid: pid_t
        let stderrPath: String
        var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

        /// How it ended, without waiting: `nil` while it runs.
        func exit() -> (signalled: Bool, code: Int32)? {
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            let signal = status & 0x7F
            return signal != 0 ? (true, signal) : (false, (status >> 8) & 0xFF)
        }
    }

    /// Spawns `edge-video run` with SIGUSR1 blocked, as the only stand-in for the dynamic loader's
    /// window: before edge-video's first instruction no code of its own can catch a signal, so
    /// one sent then is held (blocked) until the process runs. From the first instruction on,
    /// everything is edge-video's: Dispatch's `dispatch_main` parks the main thread with an
    /// empty mask, and a held SIGUSR1 is delivered then, to edge-video's handler or, as before
    /// this fix, to the default action (death).
    private static func spawn(config: String, stderrPath: String) throws -> Spawned {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGUSR1)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setsigdefault(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        closeInheritedDescriptors(&actions)
        let strings: [String] = [ApplianceHarness.binary, "run", "--config", config]
        let arguments: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, ApplianceHarness.binary, &actions, &attributes, arguments, environ)
        guard rc == 0 else { throw TestProcess.Failure(description: "posix_spawn: \(String(cString: strerror(rc)))") }
        return Spawned(pid: pid, stderrPath: stderrPath)
    }

    /// One spawn: SIGUSR1 at `delay` after spawn, then the echoed status, then `edge-video status`.
    private static func run(delay: Duration) async throws {
        let (directory, config) = try makeConfig()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spawned = ContinuousClock.now
        let app = try spawn(config: config, stderrPath: directory + "/stderr.log")
        var ended = false
        defer { if !ended { kill(app.pid, SIGKILL); _ = app.exit() } }
        try await Task.sleep(until: spawned + delay)
        kill(app.pid, SIGUSR1)
        // The early SIGUSR1 is answered once the handlers are in: the status tree on stderr.
        _ = try await eventually(within: .seconds(60), "the status echoed for the early SIGUSR1", poll: .milliseconds(20)) {
            if let exit = app.exit() {
                ended = true
                throw TestProcess.Failure(description: "edge-video ended (\(exit)) after SIGUSR1 at \(delay):\n\(app.stderr)")
            }
            return app.stderr.contains("  pid \(app.pid)  ") ? true : nil
        }
        let status = try await runStatusCommand(config: config)
        #expect(status.code == 0, "\(status.stderr)")
        let document = try JSONDecoder().decode(StatusDocument.self, from: status.stdout)
        #expect(document.pid == app.pid)
        kill(app.pid, SIGTERM)
        let exit = try await eventually(within: .seconds(60), "edge-video's exit after SIGTERM", poll: .milliseconds(20)) { app.exit() }
        ended = true
        #expect(exit.signalled == false && exit.code == 0, "\(app.stderr.suffix(2000))")
        #expect(!FileManager.default.fileExists(atPath: directory + "/run/edge-video.pid"))
    }

    @Test(.timeLimit(.minutes(10))) func sigusr1WithinHalfASecondOfSpawnNeverKills() async throws {
        var generator = SplitMix64(seed: 0x5EED_0009)
        let delays = (0..<200).map { _ in Duration.microseconds(Int64(generator.next() % 500_000)) }
        // 8 at a time: the startups overlap, as restarts under load do, and the suite stays short.
        for batch in stride(from: 0, to: delays.count, by: 8) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for delay in delays[batch..<min(batch + 8, delays.count)] {
                    group.addTask { try await Self.run(delay: delay) }
                }
                try await group.waitForAll()
            }
        }
        print("startup SIGUSR1: 200 runs, each signalled 0-500 ms after spawn: none died, every early request answered, every status answered")
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
    let out = FileHandle(forWritingAtPath: base + ".out"), err = FileHandle(forWritingAtPath: base + ".err")
    process.standardOutput = out
    process.standardError = err
    // Closed here: otherwise they stayed open in the test runner after the child had exited.
    defer {
        try? out?.close()
        try? err?.close()
    }
    let code: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    let stdout = FileManager.default.contents(atPath: base + ".out") ?? Data()
    let stderr = String(decoding: FileManager.default.contents(atPath: base + ".err") ?? Data(), as: UTF8.self)
    return (code, stdout, stderr)
}

