import EdgeVideoTestSupport
import Foundation
import Testing

extension BinaryTests {
    /// The binary under a fake systemd: a real notify socket and a watchdog interval.
    @Suite struct SystemdIntegrationTests {
        @Test(.timeLimit(.minutes(2))) func notifiesReadyWatchdogReloadingAndStopping() async throws {
            let h = try ApplianceHarness("notify")
            let socket = try NotifySocket()
            try h.writeConfig([ApplianceHarness.camera("n1", "testsrc:?size=320x180&rate=10", fps: 2)])
            let app = try TestProcess(
                ApplianceHarness.binary, ["run", "--config", h.configPath], name: "edge-video",
                environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"])
            var received: [String] = []
            func next(_ what: String, _ matching: @escaping (String) -> Bool) async throws -> String {
                try await eventually(within: .seconds(30), what, poll: .milliseconds(20)) { () -> String? in
                    while let message = socket.tryReceive() {
                        received.append(message)
                        if matching(message) { return message }
                    }
                    return nil
                }
            }
            let ready = try await next("READY=1") { $0.hasPrefix("READY=1") }
            #expect(ready.contains("MAINPID=\(app.pid)") && ready.contains("STATUS="))
            _ = try await next("WATCHDOG=1") { $0 == "WATCHDOG=1" }
            _ = try await next("a second WATCHDOG=1") { $0 == "WATCHDOG=1" }
            app.signal(SIGHUP)
            _ = try await next("RELOADING=1") { $0 == "RELOADING=1" }
            _ = try await next("READY=1 after the reload") { $0.hasPrefix("READY=1") }
            app.signal(SIGTERM)
            let stopping = try await next("STOPPING=1") { $0.hasPrefix("STOPPING=1") }
            // shutdown_timeout_s 10 (the harness): the stop may take 10.5 s, plus 5 s to exit.
            #expect(stopping == "STOPPING=1\nEXTEND_TIMEOUT_USEC=15500000")
            #expect(try await app.waitForExit(within: .seconds(30)) == 0)
            #expect(received.first?.hasPrefix("READY=1") == true, "nothing before READY: \(received)")
        }
    }
}
