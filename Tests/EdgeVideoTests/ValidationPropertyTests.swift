import EdgeVideoTestSupport
import Foundation
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// `check` (the decoder) and the running service judge configurations alike: what `check`
/// accepts, every piece the service runs accepts; what one of them refuses, `check` refused first.
@Suite struct ValidationPropertyTests {
    private func checkAccepts(_ document: [String: Any]) throws -> (Bool, [ConfigIssue]) {
        let data = try JSONSerialization.data(withJSONObject: document)
        do {
            _ = try AppConfig.decode(data, directory: "/nonexistent", environment: [:])
            return (true, [])
        } catch {
            return (false, error.issues)
        }
    }

    @Test(.timeLimit(.minutes(2))) func checkAndRuntimeAgreeOnAThousandConfigs() throws {
        var generator = ConfigGenerator(seed: 0xED6E_0009)
        var tally = (accepted: 0, rejected: 0, runtimeRefused: 0, stricterThanRuntime: 0, untyped: 0)
        for round in 0..<1000 {
            let (document, mutations) = round % 4 == 0 ? (generator.valid(), []) : generator.nearValid(mutations: 1 + round % 3)
            let (accepted, issues) = try checkAccepts(document)
            let runtime = RuntimeModel.accepts(document)
            if round % 4 == 0 { #expect(accepted, "valid document \(round) rejected: \(issues)") }
            if accepted {
                tally.accepted += 1
                #expect(runtime == true, "round \(round): check accepts, the service refuses: \(mutations)")
            } else {
                tally.rejected += 1
                #expect(issues.allSatisfy { !$0.message.isEmpty }, "round \(round)")
                switch runtime {
                case false?: tally.runtimeRefused += 1
                case true?: tally.stricterThanRuntime += 1
                case nil: tally.untyped += 1
                }
            }
        }
        print("validation property: \(tally)")
        #expect(tally.accepted >= 250 && tally.runtimeRefused >= 100)
    }

    @Test func rulesFoundByTryingToBreakTheRuntime() throws {
        func issues(_ camera: [String: Any], amqp: [String: Any] = [:]) throws -> [String] {
            try checkAccepts(["cameras": [["id": String(repeating: "i", count: 64), "url": "testsrc:"].merging(camera) { $1 }], "amqp": amqp])
                .1.map(\.description)
        }
        // An fps this small used to overflow the stall timeout and trap.
        #expect(try issues(["fps": 1e-300]) == ["cameras[0].fps: must be >= 0.001"])
        #expect(CameraSettings.pipeline(.init(id: "a", url: "testsrc:").with(fps: 1e-300)).effectiveStallTimeout == .seconds(3000))
        // A 2 ms watchdog would cut every publish.
        #expect(try issues([:], amqp: ["heartbeat_s": 0.001]) == ["amqp.heartbeat_s: must be 0 (off) or >= 1"])
        #expect(try issues([:], amqp: ["heartbeat_s": 0]).isEmpty)
        // 191 + 64 bytes pass the template limit; 192 + 64 do not fit AMQP's 255 once {id} is replaced.
        #expect(try issues([:], amqp: ["routing_key": String(repeating: "k", count: 191) + "{id}"]).isEmpty)
        #expect(try issues([:], amqp: ["routing_key": String(repeating: "k", count: 192) + "{id}"]).first?
            .hasPrefix("amqp.routing_key: is 256 bytes for camera") == true)
        // Timeouts that round to zero nanoseconds.
        #expect(try issues(["stall_timeout_s": 1e-12]) == ["cameras[0].stall_timeout_s: must be >= 0.1"])
        #expect(try issues([:], amqp: ["connect_timeout_s": 1e-10]) == ["amqp.connect_timeout_s: must be >= 0.1"])
        // The capture module's URL rules, not a second copy.
        #expect(try issues(["url": "testsrc:?size=641x360"]).first?.hasPrefix("cameras[0].url: testsrc size must be WxH, even") == true)
        #expect(try issues(["url": "file:/x.mp4"]).first?.hasPrefix("cameras[0].url: unsupported URL") == true)
        #expect(try issues(["url": "testsrc:?size=8192x4320"]).isEmpty)
    }

    @Test func schemaKeyIsAccepted() throws {
        let (accepted, issues) = try checkAccepts(["$schema": "./supervision.schema.json", "cameras": [] as [Any]])
        #expect(accepted, "\(issues)")
        #expect(try checkAccepts(["$schema": 5, "cameras": [] as [Any]]).1.map(\.description) == ["$schema: must be a string, not a number"])
    }
}

extension AppConfig.Camera {
    func with(fps: Double) -> Self {
        var copy = self
        copy.fps = fps
        return copy
    }
}

extension BinaryTests {
    /// A smaller number of generated configurations through the real binary: `edge-video check`'s
    /// exit code, then what `edge-video run` does in its first seconds on the same file.
    @Suite struct ValidationBinaryTests {
        @Test(.timeLimit(.minutes(8))) func checkPredictsTheFirstSecondsOfARun() async throws {
            let h = try ApplianceHarness("gen")
            var generator = ConfigGenerator(seed: 0xB1_7E57, brokerURL: h.brokerURL)
            var tally = (started: 0, refused: 0)
            var round = 0
            while tally.started + tally.refused < 16 {
                round += 1
                var (document, mutations) = round % 2 == 0 ? (generator.valid(), []) : generator.nearValid(mutations: 1)
                // The harness reads the status from run/status.json: keep that section as generated.
                if mutations.contains(where: { $0.hasPrefix("status") }) { continue }
                // Frames go to the exchange the harness bound its sink queue to: on the generated
                // one no queue takes them, and (amqp.mandatory) they come back unconfirmed.
                if var amqp = document["amqp"] as? [String: Any], amqp["exchange"] as? String == "ev.gen" {
                    amqp["exchange"] = h.exchange
                    document["amqp"] = amqp
                }
                try h.writeRaw(try JSONSerialization.data(withJSONObject: document))
                let check = try TestProcess(ApplianceHarness.binary, ["check", "--config", h.configPath], name: "check")
                let verdict = try await check.waitForExit(within: .seconds(30))
                let app = try h.start()
                if verdict == 0 {
                    tally.started += 1
                    let ids = (document["cameras"] as? [[String: Any]] ?? []).compactMap { camera -> (String, Bool)? in
                        guard let id = camera["id"] as? String, let url = camera["url"] as? String else { return nil }
                        return (id, url.lowercased().hasPrefix("testsrc:"))
                    }
                    // Status requests are signals: send them once it handles them (a signal
                    // before that kills it; the startup-signal fix is another branch's work).
                    _ = try await eventually(within: .seconds(60), "round \(round) started") {
                        app.stderr.contains("edge-video started") ? true : nil
                    }
                    // Every synthetic camera publishes; no camera is refused for its settings.
                    let status = try await h.waitForStatus("round \(round) \(mutations) runs", within: .seconds(90), app: app) { status in
                        ids.allSatisfy { id, synthetic in
                            guard let camera = status.cameras[id] else { return false }
                            return synthetic ? camera.confirmed >= 1 : camera.lastError != nil || camera.state == .running
                        }
                    }
                    for camera in status.cameras.values {
                        #expect(camera.lastError?.contains("invalid configuration") != true, "round \(round) \(mutations): \(camera)")
                    }
                    #expect(app.isRunning, "round \(round) \(mutations)")
                    app.signal(SIGTERM)
                    #expect(try await app.waitForExit(within: .seconds(60)) == 0, "round \(round)")
                } else {
                    tally.refused += 1
                    #expect(verdict == 1)
                    #expect(try await app.waitForExit(within: .seconds(30)) == 1, "round \(round) \(mutations): run started what check refused")
                }
            }
            print("check vs run through the binary: \(tally)")
            #expect(tally.started >= 6 && tally.refused >= 2)
        }
    }
}
