import EdgeVideoTestSupport
import Foundation
import Testing

@testable import EdgeVideo

/// `scripts/fault-proxy.py` in front of a broker: network faults on command.
final class FaultProxy: Sendable {
    let process: TestProcess
    let port: Int

    init(target: Int) async throws {
        process = try TestProcess(ApplianceHarness.python, [RepositoryFiles.path("scripts/fault-proxy.py"), "--target", "\(target)"], name: "fault-proxy")
        let ready = try await first(process.lines, within: .seconds(30), what: "proxy READY") { $0.hasPrefix("READY ") }
        port = try #require(Int(ready.dropFirst("READY ".count)))
    }

    /// Sends a command and waits until the proxy applied it.
    func command(_ command: String) async throws {
        process.send(command)
        _ = try await first(process.lines, within: .seconds(10), what: "proxy OK \(command)") { $0 == "OK \(command)" }
    }
}

extension BinaryTests {
    /// Network faults between edge-video and the shared broker, through a loopback proxy written
    /// for the tests (the broker itself is not harmed), plus nacks, a camera fault during a
    /// broker fault, and live reloads during a reconnect storm.
    @Suite struct NetworkFaultTests {
        static var amqp: [String: Any] { ["heartbeat_s": 2, "confirm_timeout_s": 8, "connect_timeout_s": 3] }

        enum NetworkFault: String, CaseIterable, Sendable {
            case blackHole = "black hole", reset = "RST mid-frame", latency = "200 ms latency", drip = "slow drip",
                proxyGone = "proxy gone and back"
        }

        @Test(.timeLimit(.minutes(FaultRun.minutes(4))), arguments: NetworkFault.allCases)
        func networkFault(_ fault: NetworkFault) async throws {
            let proxy = try await FaultProxy(target: 5672)
            let h = try ApplianceHarness("net", appPort: proxy.port)
            let run = try await FaultRun(
                "network: \(fault.rawValue)", harness: h, cameras: BrokerFaultTests.cameras(), amqp: Self.amqp)
            let runs = FaultRun.runs(suite: 1)
            for _ in 0..<runs {
                switch fault {
                case .blackHole:
                    try await proxy.command("blackhole")
                    _ = try await h.waitForStatus("every camera disconnected", app: run.app) { status in
                        status.cameras.values.allSatisfy { $0.broker == .disconnected }
                    }
                    try await proxy.command("pass")
                    try await run.waitForRecovery(acceptedAt: Date())
                case .reset:
                    let before = try await h.status()
                    let cut = Date()
                    try await proxy.command("rst")
                    _ = try await h.waitForStatus("every camera reconnected", app: run.app) { status in
                        status.cameras.allSatisfy { id, camera in camera.reconnects > (before.cameras[id]?.reconnects ?? 0) }
                    }
                    try await run.waitForRecovery(acceptedAt: cut)
                case .latency, .drip:
                    let before = try await h.status()
                    try await proxy.command(fault == .latency ? "latency 200" : "drip 20000")
                    try await Task.sleep(for: .seconds(10))  // the fault's length, not a synchronisation
                    try await proxy.command("pass")
                    let after = try await h.waitForStatus("confirming after the fault", app: run.app) { status in
                        status.cameras.allSatisfy { id, camera in camera.confirmed > (before.cameras[id]?.confirmed ?? 0) + 20 }
                    }
                    if fault == .latency {
                        // 200 ms is slow, not broken: no reconnect, nothing dropped.
                        #expect(after.cameras.allSatisfy { id, camera in camera.reconnects == before.cameras[id]?.reconnects }, "\(after.cameras)")
                    }
                case .proxyGone:
                    try await proxy.command("down")
                    _ = try await h.waitForStatus("every camera disconnected", app: run.app) { status in
                        status.cameras.values.allSatisfy { $0.broker == .disconnected }
                    }
                    try await Task.sleep(for: .seconds(3))  // the outage's length, not a synchronisation
                    try await proxy.command("up")
                    try await run.waitForRecovery(acceptedAt: Date())
                }
            }
            try await run.finish(runs: runs, leaks: try await run.leaks())
        }

        @Test(.timeLimit(.minutes(FaultRun.minutes(3)))) func nacksFromAFullRejectPublishQueueAreCounted() async throws {
            let h = try ApplianceHarness("nack")
            let run = try await FaultRun(
                "nacks (x-overflow reject-publish)", harness: h, cameras: BrokerFaultTests.cameras(), amqp: Self.amqp,
                queueArguments: ["x-max-length=60", "x-overflow=reject-publish"])
            _ = try await h.waitForStatus("nacks counted", app: run.app) { status in
                status.cameras.values.allSatisfy { $0.nacked >= 10 && $0.restarts == 0 && $0.broker == .connected }
            }
            try await run.finish(runs: 1, leaks: try await run.leaks(), maxRecovery: nil)
            #expect(run.app.stderr.contains("broker nacked a frame"))
        }

        @Test(.timeLimit(.minutes(FaultRun.minutes(5)))) func rtspServerKilledDuringABrokerFault() async throws {
            try await ScratchNode.with("rtspkill") { node in
                let rtspPort = try freePort()
                var rtsp: RTSPServer? = try await RTSPServer(mounts: ["/cam"], port: rtspPort)
                let h = try ApplianceHarness("rtspkill", scratch: node)
                let cameras = [
                    ApplianceHarness.camera("rtsp", rtsp!.url("/cam"), fps: 5, stall: 3),
                    ApplianceHarness.camera("synthetic", "testsrc:?size=320x180&rate=10", fps: 5),
                ]
                let run = try await FaultRun("RTSP server killed during a broker fault", harness: h, cameras: cameras, amqp: BrokerFaultTests.amqp)
                let before = try await h.status()
                try node.signal(SIGSTOP)
                rtsp?.process.signal(SIGKILL)
                _ = try await rtsp?.process.waitForExit(within: .seconds(10))
                rtsp = nil
                _ = try await h.waitForStatus("RTSP camera failed, broker away", app: run.app) { status in
                    (status.cameras["rtsp"]?.restarts ?? 0) > (before.cameras["rtsp"]?.restarts ?? 0)
                        && status.cameras.values.allSatisfy { $0.broker == .disconnected }
                }
                rtsp = try await RTSPServer(mounts: ["/cam"], port: rtspPort)
                try node.signal(SIGCONT)
                try await run.waitForRecovery(acceptedAt: Date())
                let after = try await h.status()
                // The camera fault restarted the RTSP camera; the broker fault restarted nothing.
                #expect(after.cameras["synthetic"]?.restarts == 0)
                try await run.finish(runs: 1, leaks: try await run.leaks(), maxRecovery: nil)
                _ = rtsp
            }
        }

        @Test(.timeLimit(.minutes(FaultRun.minutes(6)))) func hundredLiveReloadsDuringAReconnectStorm() async throws {
            let h = try ApplianceHarness("storm")
            var cameras = BrokerFaultTests.cameras()
            let run = try await FaultRun("100 live reloads during a reconnect storm", harness: h, cameras: cameras, amqp: Self.amqp)
            let storm = Task {
                var closed = 0
                while !Task.isCancelled {
                    _ = try? await Command.run("/usr/sbin/rabbitmqctl", ["-q", "close_all_connections", "--vhost", h.vhost, "storm"])
                    closed += 1
                }
                return closed
            }
            let reloads = FaultRun.runs(suite: 1) * 100
            for k in 1...reloads {
                cameras[1]["fps"] = k % 2 == 0 ? 10 : 8
                try h.writeConfig(cameras, amqp: Self.amqp)
                _ = try await h.waitForStatus("reload \(k) applied", app: run.app) { $0.config.generation == k + 1 }
            }
            storm.cancel()
            let storms = await storm.value
            #expect(storms > 5, "connections closed \(storms) times during the reloads")
            try await run.waitForRecovery(acceptedAt: Date(), within: .seconds(60))
            try await run.finish(runs: reloads, leaks: try await run.leaks(), maxRecovery: nil)
        }
    }
}
