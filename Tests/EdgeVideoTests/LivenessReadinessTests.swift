import Foundation
import Testing

extension BinaryTests {
    /// `/livez`, `/readyz` and the systemd watchdog of the real binary through a real broker
    /// outage (a scratch node of the test's own is stopped and started; the shared one is never
    /// touched).
    @Suite struct LivenessReadinessTests {
        /// Status and body of `GET path`.
        static func get(_ port: Int, _ path: String) async throws -> (Int, String) {
            let answer = try await HTTPEndpointTests.probe(port, "get", path)
            return (answer["status"] as? Int ?? -1, answer["body"] as? String ?? "")
        }

        @Test(.timeLimit(.minutes(5))) func aBrokerOutageIsNotReadyButAliveAndTheWatchdogGoesOn() async throws {
            try await ScratchNode.with("readyz") { node in
                let h = try ApplianceHarness("readyz", scratch: node, httpPort: 0)
                try h.writeConfig(
                    [ApplianceHarness.camera("cam", "testsrc:?size=320x180&rate=10", fps: 5)],
                    amqp: ["heartbeat_s": 2, "confirm_timeout_s": 8, "connect_timeout_s": 3])
                let socket = try NotifySocket()
                let app = try TestProcess(
                    ApplianceHarness.binary, ["run", "--config", h.configPath], name: "edge-video",
                    environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "600000"])
                let port = try await HTTPEndpointTests.listeningPort(of: app)
                _ = try await eventually(within: .seconds(60), "readyz 200") {
                    try await Self.get(port, "/readyz") == (200, "ready\n") ? true : nil
                }
                #expect(try await Self.get(port, "/livez") == (200, "alive\n"))

                try await node.ctl("stop_app")
                let outage = try await eventually(within: .seconds(60), "readyz 503 naming the broker") { () -> String? in
                    let (status, body) = try await Self.get(port, "/readyz")
                    return status == 503 ? body : nil
                }
                let reasons = outage.split(separator: "\n")
                #expect(reasons.count == 1 && reasons[0].hasPrefix("camera cam broker disconnected"), "\(outage)")
                #expect(!outage.contains("guest:guest"))
                #expect(try await Self.get(port, "/livez") == (200, "alive\n"), "a broker outage is not a liveness problem")
                // The watchdog follows liveness: pings go on during the outage. Pings sent before it are
                // drained first; then a new one must arrive while /readyz still says 503.
                while socket.tryReceive() != nil {}
                _ = try await eventually(within: .seconds(10), "WATCHDOG=1 during the outage", poll: .milliseconds(20)) { () -> Bool? in
                    while let message = socket.tryReceive() {
                        if message == "WATCHDOG=1" { return true }
                    }
                    return nil
                }
                #expect(try await Self.get(port, "/readyz").0 == 503, "still in the outage after the ping")
                #expect(try await h.status().cameras["cam"]?.state == .running, "the camera rode it out running")

                try await node.ctl("start_app")
                _ = try await eventually(within: .seconds(90), "readyz 200 after the broker returned") {
                    try await Self.get(port, "/readyz") == (200, "ready\n") ? true : nil
                }
                #expect(try await Self.get(port, "/livez") == (200, "alive\n"))
                app.signal(SIGTERM)
                #expect(try await app.waitForExit(within: .seconds(30)) == 0)
            }
        }
    }
}
