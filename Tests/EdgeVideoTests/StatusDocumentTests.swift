import Foundation
import Testing
import Supervision

@testable import EdgeVideo
@testable import EdgeVideoConfig

@Suite struct StatusDocumentTests {
    static func sample() -> StatusDocument {
        var camera = CameraStatus(state: .running)
        camera.broker = .connected
        camera.brokerURL = "amqp://edge:***@broker-2.lan:5672/%2f"
        (camera.framesCaptured, camera.framesEncoded, camera.queuedForEncode, camera.droppedBeforeEncode) = (120, 60, 2, 58)
        (camera.confirmed, camera.inFlight, camera.queuedForPublish, camera.droppedAfterEncode) = (52, 1, 2, 1)
        (camera.nacked, camera.returned, camera.rejected) = (2, 1, 1)
        (camera.published, camera.reconnects, camera.restarts) = (60, 1, 1)
        let publisher = SupervisorSnapshot(id: "publisher", kind: .worker, state: .running, restarts: 1)
        let subtree = SupervisorSnapshot(
            id: "camera:cam-1", kind: .supervisor, strategy: .oneForAll, state: .running, restarts: 1,
            lastExit: "connection closed by broker", liveTasks: 4, children: [publisher])
        let root = SupervisorSnapshot(
            id: "root", kind: .supervisor, strategy: .oneForOne, state: .running, liveTasks: 17, children: [subtree])
        return StatusDocument(
            pid: 4242, version: "0.1.0", uptimeS: 12.5, liveTasks: 17,
            config: .init(path: "supervision.json", generation: 2, lastError: nil), tree: root,
            cameras: ["cam-1": camera])
    }

    @Test func encodesTheContractShape() throws {
        let json = try #require(JSONSerialization.jsonObject(with: Self.sample().jsonData()) as? [String: Any])
        #expect(Set(json.keys) == ["pid", "version", "uptime_s", "live_tasks", "config", "tree", "cameras"])
        let config = try #require(json["config"] as? [String: Any])
        #expect(Set(config.keys) == ["path", "generation", "last_error"] && config["last_error"] is NSNull)
        let tree = try #require(json["tree"] as? [String: Any])
        #expect(tree["strategy"] as? String == "one_for_one" && tree["live_tasks"] as? Int == 17)
        let child = try #require((tree["children"] as? [[String: Any]])?.first)
        #expect(child["last_exit"] as? String == "connection closed by broker")
        let camera = try #require((json["cameras"] as? [String: Any])?["cam-1"] as? [String: Any])
        #expect(
            Set(camera.keys) == [
                "state", "broker", "frames_captured", "frames_encoded", "queued_for_encode", "queued_for_publish",
                "in_flight", "confirmed", "dropped_before_encode", "dropped_after_encode", "nacked", "returned",
                "rejected", "dropped", "published", "reconnects", "restarts", "last_error", "broker_problem", "broker_url",
                "recovered", "spooled", "spool_dropped", "expired", "damaged",
            ])
        // Every key but the test-only trace fields, absent unless EDGE_VIDEO_LEDGER_TRACE=1 sets them.
        #expect(Set(camera.keys) == Set(CameraStatus.CodingKeys.allCases.map(\.stringValue)).subtracting(["confirmed_ids", "containers"]))
        #expect(camera["in_flight"] as? Int == 1 && camera["last_error"] is NSNull)
        #expect(camera["broker_url"] as? String == "amqp://edge:***@broker-2.lan:5672/%2f")
        // Disconnected: `broker_url` is there, as null.
        var disconnected = Self.sample()
        disconnected.cameras["cam-1"]?.broker = .disconnected
        disconnected.cameras["cam-1"]?.brokerURL = nil
        let down = try #require(JSONSerialization.jsonObject(with: disconnected.jsonData()) as? [String: Any])
        #expect(((down["cameras"] as? [String: Any])?["cam-1"] as? [String: Any])?["broker_url"] is NSNull)
    }

    @Test func roundTrips() throws {
        let document = Self.sample()
        #expect(try JSONDecoder().decode(StatusDocument.self, from: document.jsonData()) == document)
    }

    @Test func rendersTheTreeForHumans() {
        var document = Self.sample()
        document.config.lastError = "cameras[0].fps: must be > 0"
        let text = document.rendered()
        #expect(text.contains("edge-video 0.1.0  pid 4242  up 12.5s  live tasks 17"))
        #expect(text.contains("REJECTED: cameras[0].fps: must be > 0"))
        #expect(text.contains("root  one_for_one  running  tasks 17\n"))
        #expect(text.contains("└─ camera:cam-1  one_for_all  running  restarts 1  tasks 4  last exit: connection closed by broker\n"))
        #expect(text.contains("   └─ publisher  running  restarts 1\n"))
        #expect(text.contains(
            "cam-1  running  broker connected to amqp://edge:***@broker-2.lan:5672/%2f  captured 120 = encoded 60 + dropped 58 + queued 2"))
        #expect(text.contains(
            "  encoded = confirmed 52 + in flight 1 + queued 2 + spooled 0 + dropped 1 + spool dropped 0 + expired 0 + damaged 0"
                + " + nacked 2 + returned 1 + rejected 1"))
    }

    @Test func ledgerIdentitiesAreChecked() {
        var camera = Self.sample().cameras["cam-1"]!
        #expect(camera.ledgerIdentitiesHold)
        camera.confirmed += 1  // a frame counted twice
        #expect(!camera.ledgerIdentitiesHold)
        camera.confirmed -= 1
        camera.queuedForEncode -= 1  // a frame vanished
        #expect(!camera.ledgerIdentitiesHold)
        camera.queuedForEncode += 1
        (camera.inFlight, camera.queuedForPublish) = (-1, 4)  // sums right, a place below zero
        #expect(!camera.ledgerIdentitiesHold)
        (camera.inFlight, camera.queuedForPublish) = (1, 2)
        camera.recovered += 3  // frames from an earlier run that are in no place
        #expect(!camera.ledgerIdentitiesHold)
        camera.spooled += 2
        camera.expired += 1  // now in places
        #expect(camera.ledgerIdentitiesHold)
    }
}

@Suite struct StatusFileTests {
    private func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "edge-video-status-\(UUID().uuidString)"
        return path
    }

    @Test func writesAtomicallyAndCreatesTheDirectory() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/nested/status.json"
        try StatusFile.write(Data("one".utf8), to: path)
        let firstInode = try #require(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
        try StatusFile.write(Data("two".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
        let secondInode = try #require(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
        #expect(firstInode != secondInode, "replaced by rename, not rewritten in place")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/nested") == ["status.json"])
    }

    @Test func filesAre0640AndDirectories0750BeforeTheUmask() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let umask = try #require(status.split(separator: "\n").first { $0.hasPrefix("Umask:") }
            .flatMap { Int($0.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8) })
        try StatusFile.write(Data("x".utf8), to: directory + "/run/status.json")
        func mode(_ path: String) throws -> Int {
            try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        #expect(try mode(directory + "/run/status.json") == 0o640 & ~umask)
        #expect(try mode(directory + "/run") == 0o750 & ~umask)
    }

    @Test func unwritablePlaceIsAClearError() {
        do {
            try StatusFile.write(Data(), to: "/proc/edge-video/status.json")
            Issue.record("wrote into /proc")
        } catch {
            #expect(error.description.hasPrefix("mkdir /proc/edge-video: "))
        }
    }

    @Test func pidFileRoundTrip() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try PIDFile.write(to: directory + "/edge-video.pid")
        let record = try #require(PIDFile.read(at: directory + "/edge-video.pid"))
        #expect(record.pid == getpid())
        #expect(record.startTime != nil && record.startTime == ProcessIdentity.startTime(of: getpid()))
        PIDFile.remove(at: directory + "/edge-video.pid")
        #expect(PIDFile.read(at: directory + "/edge-video.pid") == nil)
    }

    @Test func pathsResolveAgainstTheConfigDirectory() {
        var config = AppConfig()
        #expect(StatusPaths(config: config, configPath: "/etc/ev/supervision.json").statusFile == "/etc/ev/.run/status.json")
        #expect(StatusPaths(config: config, configPath: "/etc/ev/supervision.json").pidFile == "/etc/ev/.run/edge-video.pid")
        #expect(StatusPaths(config: config, configPath: "supervision.json").statusFile == ".run/status.json")
        config.status.file = "/run/edge-video/status.json"
        config.status.pidFile = "ev.pid"
        let paths = StatusPaths(config: config, configPath: "/etc/ev/supervision.json")
        #expect(paths.statusFile == "/run/edge-video/status.json" && paths.pidFile == "/etc/ev/ev.pid")
    }
}
