import Foundation
import Testing

@testable import EdgeVideo

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
