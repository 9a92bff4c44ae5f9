import EdgeVideoTestSupport
import Foundation
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// `edge-video status` signals only the instance its pid file names, never a process that took
/// the pid over; a stale file is reported and removed.
@Suite struct PIDFileTests {
    /// A directory with a camera-less configuration whose pid file is `run/edge-video.pid`.
    private final class Place: Sendable {
        let directory = NSTemporaryDirectory() + "ev-pid-\(UUID().uuidString.prefix(8))"
        var config: String { directory + "/supervision.json" }
        var pidFile: String { directory + "/run/edge-video.pid" }

        init() throws {
            try FileManager.default.createDirectory(atPath: directory + "/run", withIntermediateDirectories: true)
            let document: [String: Any] = [
                "amqp": ["urls": ["amqp://guest:guest@127.0.0.1:5672/"], "exchange": "ev.test.pid"],
                "status": ["file": "run/status.json"], "cameras": [],
            ]
            try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: config))
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func staleFileNamingAnUnrelatedProcessIsNotSignalledAndIsRemoved(forgedStartTime: Bool) async throws {
        let place = try Place()
        // SIGUSR1's default action would end the sleep: if it is still running, it was not signalled.
        let bystander = try TestProcess("/bin/sleep", ["60"], name: "sleep")
        let start = try #require(ProcessIdentity.startTime(of: bystander.pid))
        // An old instance's start time (the pid was reused), or the bystander's own (a forged file).
        let recorded = forgedStartTime ? start : start - 1
        try Data("\(bystander.pid) \(recorded)\n".utf8).write(to: URL(fileURLWithPath: place.pidFile))

        let status = try await runStatusCommand(config: place.config, timeout: 2)
        #expect(status.code == 1)
        #expect(status.stderr.contains("edge-video is not running"), "\(status.stderr)")
        #expect(status.stderr.contains(forgedStartTime ? "is now /usr/bin/sleep" : "is now another process"), "\(status.stderr)")
        #expect(status.stderr.contains("removed the stale pid file"))
        #expect(!FileManager.default.fileExists(atPath: place.pidFile))
        #expect(bystander.isRunning, "the unrelated process was signalled")
    }

    @Test(.timeLimit(.minutes(2))) func sigkillLeavesAStaleFileThatTheNextStatusReportsGone() async throws {
        let place = try Place()
        let app = try TestProcess(ApplianceHarness.binary, ["run", "--config", place.config], name: "edge-video")
        let record = try await eventually(within: .seconds(60), "the pid file", poll: .milliseconds(20)) {
            PIDFile.read(at: place.pidFile)
        }
        #expect(record.pid == app.pid)
        #expect(record.startTime == ProcessIdentity.startTime(of: app.pid))
        #expect(try await runStatusCommand(config: place.config).code == 0)

        // A frozen instance never replaces the file: status gives up at its timeout and says so.
        app.signal(SIGSTOP)
        let frozen = try await runStatusCommand(config: place.config, timeout: 2)
        #expect(frozen.code == 1)
        #expect(frozen.stderr.contains("pid \(app.pid) did not write"), "\(frozen.stderr)")

        app.signal(SIGKILL)
        _ = try await app.waitForExit(within: .seconds(30))
        #expect(PIDFile.read(at: place.pidFile) == record, "SIGKILL runs no cleanup")
        let status = try await runStatusCommand(config: place.config, timeout: 2)
        #expect(status.code == 1)
        #expect(status.stderr.contains("pid \(app.pid) does not exist"), "\(status.stderr)")
        #expect(!FileManager.default.fileExists(atPath: place.pidFile))
    }

    @Test func aFileWithoutStartTimeIsNeverSignalled() throws {
        let place = try Place()
        let bystander = try TestProcess("/bin/sleep", ["60"], name: "sleep")
        try Data("\(bystander.pid)\n".utf8).write(to: URL(fileURLWithPath: place.pidFile))
        var config = AppConfig()
        config.status.file = "run/status.json"
        let client = StatusClient(paths: StatusPaths(config: config, configPath: place.config))
        #expect(throws: StatusClient.Failure.self) { try client.instancePID(environment: [:]) }
        #expect(bystander.isRunning)
    }

    @Test func startTimeIsField22OfProcStat() throws {
        // A command name with spaces and parentheses must not shift the fields.
        let stat = try #require(FileManager.default.contents(atPath: "/proc/self/stat"))
        let fields = String(decoding: stat, as: UTF8.self).split(separator: " ")
        let mine = try #require(ProcessIdentity.startTime(of: getpid()))
        #expect(fields.contains(Substring("\(mine)")))
        #expect(ProcessIdentity.startTime(of: Int32.max) == nil)
    }
}
