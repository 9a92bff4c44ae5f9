import EdgeVideoTestSupport
import Foundation
import Testing

@testable import EdgeVideo

extension BinaryTests {
    /// Broker faults against the real binary, each on a scratch node of its own: crashes with
    /// confirms pending, a crash during the handshake, stop_app, a frozen broker, resource alarms
    /// and a poison message. Every status read is checked against the frame ledger; after the
    /// faults the process is back at its baseline and every frame is in the queue or counted.
    @Suite struct BrokerFaultTests {
        static func cameras(_ count: Int = 2) -> [[String: Any]] {
            (0..<count).map { ApplianceHarness.camera("t\($0)", "testsrc:?size=320x180&rate=10", fps: 10) }
        }

        /// Heartbeat 2 s: a frozen broker is noticed within seconds.
        static var amqp: [String: Any] { ["heartbeat_s": 2, "confirm_timeout_s": 8, "connect_timeout_s": 5] }

        @Test(.timeLimit(.minutes(FaultRun.minutes(6)))) func brokerKilledWithConfirmsPending() async throws {
            try await ScratchNode.with("kill") { node in
                let h = try ApplianceHarness("kill", scratch: node)
                let run = try await FaultRun("broker SIGKILL, confirms pending", harness: h, cameras: Self.cameras(), amqp: Self.amqp)
                let runs = FaultRun.runs(suite: 2)
                for _ in 0..<runs {
                    // Frozen, the broker takes frames but confirms none: the window fills. Then it dies.
                    try node.signal(SIGSTOP)
                    try await Task.sleep(for: .seconds(4))  // the fault's length, not a synchronisation
                    let pending = try await h.status()
                    #expect(pending.cameras.values.allSatisfy { $0.inFlight > 0 }, "confirms pending when killed: \(pending.cameras)")
                    try await node.crash()
                    async let started: Void = node.startAgain()
                    let accepted = try await node.waitUntilAccepting()
                    try await started
                    try await run.waitForRecovery(acceptedAt: accepted)
                }
                try await run.finish(runs: runs, leaks: try await run.leaks())
            }
        }

        @Test(.timeLimit(.minutes(FaultRun.minutes(10)))) func forcedClosesOfEveryConnection() async throws {
            // The shared node: closing the connections of this test's vhost harms nobody else.
            let h = try ApplianceHarness("closes")
            let cameras = (0..<8).map { ApplianceHarness.camera("f\($0)", "testsrc:?size=320x180&rate=10", fps: 2) }
            let run = try await FaultRun("close_all_connections, 8 cameras", harness: h, cameras: cameras, amqp: Self.amqp)
            let runs = FaultRun.runs(suite: 10)
            for round in 0..<runs {
                // The connections are closed when the command returns (the CLI itself takes a second to start).
                try await Command.run("/usr/sbin/rabbitmqctl", ["-q", "close_all_connections", "--vhost", h.vhost, "fault round \(round)"])
                try await run.waitForRecovery(acceptedAt: Date())
            }
            try await run.finish(runs: runs, leaks: try await run.leaks())
        }

        @Test(.timeLimit(.minutes(FaultRun.minutes(6)))) func brokerKilledDuringTheHandshake() async throws {
            try await ScratchNode.with("handshake") { node in
                let h = try ApplianceHarness("handshake", scratch: node)
                // A long connect timeout: each attempt hangs 10 s in the handshake, the gaps between them are ~1 s.
                var amqp = Self.amqp
                amqp["connect_timeout_s"] = 10
                let run = try await FaultRun("broker SIGKILL during the handshake", harness: h, cameras: Self.cameras(), amqp: amqp)
                let runs = FaultRun.runs(suite: 1)
                for _ in 0..<runs {
                    try node.signal(SIGSTOP)
                    // The old connections die of missed heartbeats; the new attempts hang in the AMQP
                    // handshake (the kernel still completes TCP connects to a frozen broker).
                    _ = try await h.waitForStatus("every camera disconnected", app: run.app) { status in
                        status.cameras.values.allSatisfy { $0.broker == .disconnected }
                    }
                    _ = try await eventually(within: .seconds(30), "every camera in a handshake", poll: .milliseconds(20)) {
                        try Sockets.established(pid: run.app.pid, toPort: node.port) >= run.cameraIDs.count ? true : nil
                    }
                    try await node.crash()
                    async let started: Void = node.startAgain()
                    let accepted = try await node.waitUntilAccepting()
                    try await started
                    try await run.waitForRecovery(acceptedAt: accepted)
                }
                try await run.finish(runs: runs, leaks: try await run.leaks())
            }
        }

        @Test(.timeLimit(.minutes(FaultRun.minutes(5)))) func stopAppThenStartApp() async throws {
            try await ScratchNode.with("stopapp") { node in
                let h = try ApplianceHarness("stopapp", scratch: node)
                let run = try await FaultRun("stop_app / start_app", harness: h, cameras: Self.cameras(), amqp: Self.amqp)
                let runs = FaultRun.runs(suite: 1)
                for _ in 0..<runs {
                    try await node.ctl("stop_app")
                    _ = try await h.waitForStatus("every camera disconnected", app: run.app) { status in
                        status.cameras.values.allSatisfy { $0.broker == .disconnected }
                    }
                    async let started = node.ctl("start_app")
                    let accepted = try await node.waitUntilAccepting()
                    _ = try await started
                    try await run.waitForRecovery(acceptedAt: accepted)
                }
                try await run.finish(runs: runs, leaks: try await run.leaks())
            }
        }

        @Test(.timeLimit(.minutes(FaultRun.minutes(5)))) func brokerFrozenLongerThanTheHeartbeat() async throws {
            try await ScratchNode.with("frozen") { node in
                let h = try ApplianceHarness("frozen", scratch: node)
                let run = try await FaultRun("broker frozen > heartbeat", harness: h, cameras: Self.cameras(), amqp: Self.amqp)
                let runs = FaultRun.runs(suite: 1)
                for _ in 0..<runs {
                    try node.signal(SIGSTOP)
                    _ = try await h.waitForStatus("every camera disconnected", app: run.app) { status in
                        status.cameras.values.allSatisfy { $0.broker == .disconnected }
                    }
                    try node.signal(SIGCONT)
                    try await run.waitForRecovery(acceptedAt: Date())
                }
                try await run.finish(runs: runs, leaks: try await run.leaks())
            }
        }

        @Test(.timeLimit(.minutes(FaultRun.minutes(5)))) func memoryAndDiskAlarmsWhilePublishing() async throws {
            try await ScratchNode.with("alarms") { node in
                let h = try ApplianceHarness("alarms", scratch: node)
                let run = try await FaultRun("memory and disk alarms", harness: h, cameras: Self.cameras(), amqp: Self.amqp)
                let runs = FaultRun.runs(suite: 1)
                let alarms: [(raise: [String], lift: [String])] = [
                    (["set_vm_memory_high_watermark", "0.000001"], ["set_vm_memory_high_watermark", "0.4"]),
                    (["set_disk_free_limit", "100000GB"], ["set_disk_free_limit", "1MB"]),
                ]
                for _ in 0..<runs {
                    for alarm in alarms {
                        try await Command.run("/usr/sbin/rabbitmqctl", ["-n", node.node, "-q"] + alarm.raise)
                        let blocked = try await h.waitForStatus("confirms stopped", app: run.app) { _ in true }
                        try await Task.sleep(for: .seconds(10))  // the alarm's length, not a synchronisation
                        let during = try await h.status()
                        // Blocked, not disconnected: the cameras kept capturing and their queues bounded the backlog.
                        #expect(during.cameras.values.allSatisfy { $0.broker == .connected && $0.restarts == 0 })
                        #expect(during.cameras.allSatisfy { id, camera in camera.framesCaptured > (blocked.cameras[id]?.framesCaptured ?? 0) })
                        try await Command.run("/usr/sbin/rabbitmqctl", ["-n", node.node, "-q"] + alarm.lift)
                        let lifted = Date()
                        let resumed = try await h.waitForStatus("confirming after the alarm", app: run.app) { status in
                            status.cameras.allSatisfy { id, camera in camera.confirmed > (during.cameras[id]?.confirmed ?? 0) }
                        }
                        _ = resumed
                        #expect(Date().timeIntervalSince(lifted) < 10)
                    }
                }
                try await run.finish(runs: runs, leaks: try await run.leaks(), maxRecovery: nil)
                #expect(run.app.stderr.contains("blocked by the broker"))
            }
        }

        @Test(.timeLimit(.minutes(FaultRun.minutes(5)))) func poisonMessageIsRejectedAndTheCameraGoesOn() async throws {
            try await ScratchNode.with("poison") { node in
                let h = try ApplianceHarness("poison", scratch: node)
                let cameras = [
                    ApplianceHarness.camera("small", "testsrc:?size=320x180&rate=10", fps: 5),
                    ApplianceHarness.camera("big", "testsrc:?size=1920x1080&rate=10", fps: 2, width: 1920, height: 1080)
                        .merging(["jpeg_quality": 100]) { $1 },
                ]
                let run = try await FaultRun("poison message", harness: h, cameras: cameras, amqp: Self.amqp)
                let runs = FaultRun.runs(suite: 1)
                for _ in 0..<runs {
                    // New channels refuse messages over 20 kB: every frame of `big` is poison, none of `small`.
                    let before = try await h.status()
                    try await node.ctl("eval", "application:set_env(rabbit, max_message_size, 20000).")
                    try await node.ctl("close_all_connections", "--vhost", h.vhost, "poison test")
                    let poisoned = try await h.waitForStatus("big frames rejected", app: run.app) { status in
                        (status.cameras["big"]?.rejected ?? 0) >= (before.cameras["big"]?.rejected ?? 0) + 3
                            && (status.cameras["small"]?.confirmed ?? 0) > (before.cameras["small"]?.confirmed ?? 0) + 5
                    }
                    let big = try #require(poisoned.cameras["big"]), old = try #require(before.cameras["big"])
                    // Each poison frame costs at most two connections: no republish loop.
                    #expect(big.reconnects - old.reconnects <= 2 * (big.rejected - old.rejected) + 3, "\(big)")
                    #expect(big.restarts == 0 && poisoned.cameras["small"]?.restarts == 0)
                    try await node.ctl("eval", "application:set_env(rabbit, max_message_size, 134217728).")
                    _ = try await h.waitForStatus("big confirming again", app: run.app) { status in
                        (status.cameras["big"]?.confirmed ?? 0) > big.confirmed
                    }
                }
                try await run.finish(runs: runs, leaks: try await run.leaks(), maxRecovery: nil)
                #expect(run.app.stderr.contains("broker refused a frame; counted as rejected"))
            }
        }
    }
}

/// The process's TCP sockets, from /proc.
enum Sockets {
    /// A procfs file read to its end (they report a size of 0, and some readers stop at one page).
    static func procfs(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TestProcess.Failure(description: "open \(path): errno \(errno)") }
        defer { close(fd) }
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            data += chunk[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// ESTABLISHED TCP connections of process `pid` to 127.0.0.1:`port`.
    static func established(pid: Int32, toPort port: Int) throws -> Int {
        let fdDirectory = "/proc/\(pid)/fd"
        var inodes = Set<String>()
        for fd in try FileManager.default.contentsOfDirectory(atPath: fdDirectory) {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: fdDirectory + "/" + fd),
                target.hasPrefix("socket:[")
            else { continue }
            inodes.insert(String(target.dropFirst("socket:[".count).dropLast()))
        }
        let table = try procfs("/proc/\(pid)/net/tcp")
        let remote = String(format: "0100007F:%04X", port)
        return table.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 9 && fields[2] == remote && fields[3] == "01" && inodes.contains(String(fields[9]))
        }.count
    }
}
