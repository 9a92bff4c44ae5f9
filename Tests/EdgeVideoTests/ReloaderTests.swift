import Foundation
import Locking
import Logging
import Testing
import Supervision

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// Records the reload steps it is asked to apply (reload logic only; the real tree is tested
/// end to end with the binary).
final class RecordingFleet: CameraFleet {
    let steps = Locked<[ConfigDiff.Step]>([])
    func run() async throws {}
    func stop() {}
    func apply(_ step: ConfigDiff.Step, config: AppConfig) async throws {
        steps.withLock { $0.append(step) }
    }
    func snapshot() -> FleetSnapshot {
        FleetSnapshot(tree: SupervisorSnapshot(id: "root", kind: .supervisor, state: .running), liveTasks: 0, cameras: [:])
    }
}

@Suite struct ReloaderTests {
    private func write(_ json: String, to path: String) throws {
        try Data(json.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    @Test func appliesADiffAndRejectsABadFile() async throws {
        let dir = NSTemporaryDirectory() + "ev-reload-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/supervision.json"
        let first = #"{"cameras":[{"id":"a","url":"testsrc:"},{"id":"b","url":"testsrc:"}]}"#
        try write(first, to: path)
        let state = ConfigState(path: path, config: try AppConfig.load(path: path))
        let fleet = RecordingFleet()
        let reloader = Reloader(state: state, fleet: fleet, logger: Logger(label: "test"))

        try write(#"{"cameras":[{"id":"a","url":"testsrc:","fps":1},{"id":"c","url":"testsrc:"}]}"#, to: path)
        let diff = await reloader.reload()
        #expect(diff?.removed == ["b"])
        var a = AppConfig.Camera(id: "a", url: "testsrc:")
        a.fps = 1
        #expect(fleet.steps.withLock { $0 } == [.stop("b"), .restart(a), .start(.init(id: "c", url: "testsrc:"))])
        #expect(state.current.generation == 2 && state.current.lastError == nil)

        try write(#"{"cameras":[{"id":"a","url":"testsrc:","fps":0}]}"#, to: path)
        #expect(await reloader.reload() == nil)
        #expect(state.current.generation == 2)
        #expect(state.current.lastError == "cameras[0].fps: must be > 0")
        #expect(state.current.config.cameras.map(\.id) == ["a", "c"])
        #expect(fleet.steps.withLock { $0.count } == 3)

        // Fixing the file clears the error; an identical config does not advance the generation.
        try write(#"{"cameras":[{"id":"a","url":"testsrc:","fps":1},{"id":"c","url":"testsrc:"}]}"#, to: path)
        #expect(await reloader.reload()?.isEmpty == true)
        #expect(state.current.generation == 2 && state.current.lastError == nil)
    }

    /// The `status` section applies at the next start (the pid file this instance wrote stays
    /// where it is): a reload that moves the status file is committed, and the reporter goes on
    /// writing where it started.
    @Test func aStatusChangeAppliesAtTheNextStart() async throws {
        let dir = NSTemporaryDirectory() + "ev-reload-status-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/supervision.json"
        try write(#"{"status":{"file":"first.json"},"cameras":[{"id":"a","url":"testsrc:"}]}"#, to: path)
        let state = ConfigState(path: path, config: try AppConfig.load(path: path))
        let reporter = StatusReporter(state: state, fleet: RecordingFleet(), startedAt: .now, logger: Logger(label: "test"))
        let reloader = Reloader(state: state, fleet: RecordingFleet(), logger: Logger(label: "test"))

        try write(#"{"status":{"file":"second.json"},"cameras":[{"id":"a","url":"testsrc:"}]}"#, to: path)
        #expect(await reloader.reload()?.needsRestart == [.status])
        #expect(state.current.config.status.file == "second.json")
        reporter.write(echo: false)
        #expect(FileManager.default.fileExists(atPath: dir + "/first.json"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/second.json"))
        #expect(reporter.paths.pidFile == dir + "/edge-video.pid")
    }
}
