import EdgeVideoTestSupport
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
                // Frames are published mandatory: a bound queue makes them confirmed, not returned
                // (an unroutable frame is a readiness problem of its own).
                _ = try await h.tap(queue: "ev.test.readyz.\(UUID().uuidString.prefix(8))", declareOnly: true, queueArguments: ["x-max-length=100"])
                let socket = try NotifySocket()
                let app = try TestProcess(
                    ApplianceHarness.binary, ["run", "--config", h.configPath], name: "edge-video",
                    environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "600000"])
                // Every wait drains the notify socket, as systemd would: a full socket would block
                // the sender (a blocking datagram socket), and with it the appliance.
                var received: [String] = []
                func drain() {
                    while let message = socket.tryReceive() { received.append(message) }
                }
                let port = try await HTTPEndpointTests.listeningPort(of: app)
                _ = try await eventually(within: .seconds(60), "readyz 200") {
                    drain()
                    return try await Self.get(port, "/readyz") == (200, "ready\n") ? true : nil
                }
                #expect(try await Self.get(port, "/livez") == (200, "alive\n"))

                try await node.ctl("stop_app")
                let outage = try await eventually(within: .seconds(60), "readyz 503 naming the broker") { () -> String? in
                    drain()
                    let (status, body) = try await Self.get(port, "/readyz")
                    return status == 503 ? body : nil
                }
                let reasons = outage.split(separator: "\n")
                #expect(reasons.count == 1 && reasons[0].hasPrefix("camera cam broker disconnected"), "\(outage)")
                #expect(!outage.contains("guest:guest"))
                #expect(try await Self.get(port, "/livez") == (200, "alive\n"), "a broker outage is not a liveness problem")
                // The watchdog follows liveness: pings go on during the outage. A ping must arrive
                // after /readyz said 503 and before it says so again.
                drain()
                let seen = received.count
                _ = try await eventually(within: .seconds(10), "WATCHDOG=1 during the outage", poll: .milliseconds(20)) { () -> Bool? in
                    drain()
                    return received[seen...].contains("WATCHDOG=1") ? true : nil
                }
                #expect(try await Self.get(port, "/readyz").0 == 503, "still in the outage after the ping")
                #expect(try await h.status().cameras["cam"]?.state == .running, "the camera rode it out running")

                try await node.ctl("start_app")
                _ = try await eventually(within: .seconds(90), "readyz 200 after the broker returned") {
                    drain()
                    return try await Self.get(port, "/readyz") == (200, "ready\n") ? true : nil
                }
                #expect(try await Self.get(port, "/livez") == (200, "alive\n"))
                drain()
                app.signal(SIGTERM)
                #expect(try await app.waitForExit(within: .seconds(30)) == 0)
            }
        }
    }
}
