import EdgeVideoTestSupport
import Foundation
import Testing

@testable import EdgeVideo

extension BinaryTests {
    /// The broker refusing frames, against the real binary: write permission revoked, the exchange
    /// deleted, no queue bound, a poison message. Each test has its own vhost, exchange and queue;
    /// the frames are checked by identity (the `seq` headers in the queue) after a graceful stop.
    @Suite struct BrokerRefusalTests {
        static func camera(_ id: String, fps: Double = 5) -> [String: Any] {
            // A publish queue that holds a whole fault (5 fps for 10 s): no frame needs dropping.
            ApplianceHarness.camera(id, "testsrc:?size=320x180&rate=10", fps: fps).merging(["queue_capacity": 200]) { $1 }
        }

        @Test(.timeLimit(.minutes(4))) func writePermissionRevokedFor10SecondsKeepsEveryFrame() async throws {
            let h = try ApplianceHarness("perm", httpPort: 0, sink: false)
            let queue = "ev.test.perm.\(UUID().uuidString.prefix(8))"
            try h.writeConfig([Self.camera("p1")], amqp: BrokerFaultTests.amqp)
            _ = try await h.tap(queue: queue, declareOnly: true)
            let app = try h.start()
            let port = try await HTTPEndpointTests.listeningPort(of: app)
            _ = try await h.waitForStatus("confirming", app: app) { ($0.cameras["p1"]?.confirmed ?? 0) >= 5 }

            // Permissions are checked when a channel opens: revoke writing, then close the connection.
            try ApplianceHarness.rabbitmqctl(["set_permissions", "-p", h.vhost, "guest", ".*", "", ".*"])
            try ApplianceHarness.rabbitmqctl(["close_all_connections", "--vhost", h.vhost, "permission test"])
            let refused = try await h.waitForStatus("the refusal named in the status", app: app) { status in
                status.cameras["p1"]?.brokerProblem?.hasPrefix("broker refused: 403 ACCESS_REFUSED") == true
            }
            let health = try await Self.health(port)
            #expect(health.status == 503 && health.reasons.contains { $0.hasPrefix("camera p1: broker refused: 403 ACCESS_REFUSED") }, "\(health)")
            try await Task.sleep(for: .seconds(10))  // the fault's length, not a synchronisation
            let during = try #require(try await h.status().cameras["p1"])
            let before = try #require(refused.cameras["p1"])
            #expect(during.rejected == 0 && during.restarts == 0 && during.confirmed == before.confirmed, "\(during)")
            #expect(during.brokerProblem == before.brokerProblem, "the cause stays named while it lasts")
            // Kept, not republished in bulk: each attempt probes with one kept frame, the rest wait.
            #expect(during.published - before.published <= during.reconnects - before.reconnects + 5, "\(before) \(during)")

            try ApplianceHarness.rabbitmqctl(["set_permissions", "-p", h.vhost, "guest", ".*", ".*", ".*"])
            _ = try await h.waitForStatus("confirming again", app: app) { status in
                (status.cameras["p1"]?.confirmed ?? 0) > during.confirmed + 5 && status.cameras["p1"]?.brokerProblem == nil
            }
            #expect(try await Self.health(port).status == 200)
            let (final, seqs) = try await Self.stop(app, h, queue: queue, camera: "p1")
            #expect(final.rejected == 0 && final.droppedAfterEncode == 0 && final.returned == 0, "\(final)")
            #expect(seqs == Set(0..<final.framesEncoded), "every frame in the queue, none discarded: \(final)")
            // Logged once, not once per attempt.
            #expect(app.stderr.components(separatedBy: "broker refused the camera's frames").count - 1 == 1)
            print("BROKERREFUSAL 403 encoded=\(final.framesEncoded) in_queue=\(seqs.count) rejected=\(final.rejected) "
                + "dropped=\(final.droppedAfterEncode) reconnects=\(final.reconnects) published_during=\(during.published - before.published)")
        }

        @Test(.timeLimit(.minutes(4))) func deletedExchangeIsDeclaredAgainAndTheUnroutableFramesNamed() async throws {
            let h = try ApplianceHarness("xdel", httpPort: 0, sink: false)
            let queue = "ev.test.xdel.\(UUID().uuidString.prefix(8))"
            try h.writeConfig([Self.camera("x1")], amqp: BrokerFaultTests.amqp)
            _ = try await h.tap(queue: queue, declareOnly: true)
            let app = try h.start()
            let port = try await HTTPEndpointTests.listeningPort(of: app)
            _ = try await h.waitForStatus("confirming", app: app) { ($0.cameras["x1"]?.confirmed ?? 0) >= 5 }

            // Deleting the exchange deletes its bindings: after the 404, the next connection declares
            // it again, with no queue bound, so the frames come back unroutable.
            try ApplianceHarness.run(ApplianceHarness.python, [
                RepositoryFiles.path("scripts/amqp-tap.py"), "--url", h.directURL, "--delete-exchange", h.exchange,
            ])
            let reason = "camera x1: returned unroutable: no queue bound to exchange \"\(h.exchange)\" with key \"camera.x1.frame\""
            let unhealthy = try await eventually(within: .seconds(60), "healthz names the unroutable frames") {
                let health = try await Self.health(port)
                return health.status == 503 && health.reasons.contains { Self.withoutCount($0) == reason } ? health : nil
            }
            #expect(app.stderr.contains("404 NOT_FOUND"), "the refusal is logged with its code")
            let exchanges = try ApplianceHarness.rabbitmqctl(["list_exchanges", "-p", h.vhost, "name"])
            #expect(exchanges.split(separator: "\n").contains { $0 == h.exchange }, "declared again by edge-video: \(exchanges)")
            let returning = try #require(try await h.status().cameras["x1"])
            #expect(returning.returned > 0 && returning.rejected == 0 && returning.restarts == 0, "\(returning) \(unhealthy)")

            _ = try await h.tap(queue: queue, declareOnly: true)
            _ = try await h.waitForStatus("confirming again", app: app) { status in
                (status.cameras["x1"]?.confirmed ?? 0) > returning.confirmed + 5 && status.cameras["x1"]?.brokerProblem == nil
            }
            #expect(try await Self.health(port).status == 200)
            let (final, seqs) = try await Self.stop(app, h, queue: queue, camera: "x1")
            let missing = Set(0..<final.framesEncoded).subtracting(seqs)
            #expect(final.rejected == 0 && final.droppedAfterEncode == 0, "\(final)")
            #expect(missing.count == final.returned, "every missing frame was returned (counted), none lost: \(final)")
        }

        @Test(.timeLimit(.minutes(3))) func noQueueBoundCountsReturnedNeverConfirmed() async throws {
            let h = try ApplianceHarness("noqueue", httpPort: 0, sink: false)
            try h.writeConfig([Self.camera("n1", fps: 10)])  // `mandatory` as the default has it
            let app = try h.start()
            let port = try await HTTPEndpointTests.listeningPort(of: app)
            let started = ContinuousClock.now
            let returning = try await h.waitForStatus("frames returned", app: app) { ($0.cameras["n1"]?.returned ?? 0) >= 20 }
            let n1 = try #require(returning.cameras["n1"])
            #expect(n1.confirmed == 0 && n1.nacked == 0 && n1.rejected == 0, "unroutable frames are not confirmed: \(n1)")
            let reason = "returned unroutable: no queue bound to exchange \"\(h.exchange)\" with key \"camera.n1.frame\""
            #expect(n1.brokerProblem.map(Self.withoutCount) == reason, "\(n1)")
            let health = try await Self.health(port)
            #expect(health.status == 503 && health.reasons.contains { Self.withoutCount($0) == "camera n1: " + reason }, "\(health)")
            // Rate-limited: the first, then at most one line per 10 s.
            let lines = app.stderr.components(separatedBy: "broker returned frames as unroutable").count - 1
            let seconds = (ContinuousClock.now - started).components.seconds
            #expect(lines >= 1 && lines <= 1 + Int(seconds / 10), "\(lines) lines in \(seconds) s")
            #expect(!app.stderr.contains("AMQP message returned as unroutable"), "no line per frame")

            let queue = "ev.test.noqueue.\(UUID().uuidString.prefix(8))"
            _ = try await h.tap(queue: queue, declareOnly: true)
            _ = try await h.waitForStatus("confirming once a queue is bound", app: app) { status in
                (status.cameras["n1"]?.confirmed ?? 0) >= 5 && status.cameras["n1"]?.brokerProblem == nil
            }
            #expect(try await Self.health(port).status == 200)
            let (final, seqs) = try await Self.stop(app, h, queue: queue, camera: "n1")
            #expect(seqs.count == final.confirmed && final.returned >= 20, "\(final)")
            #expect(seqs.isDisjoint(with: 0..<n1.returned), "the returned frames were never delivered")
        }

        @Test(.timeLimit(.minutes(FaultRun.minutes(5)))) func poisonMessageIsIsolatedAndRejectedExactlyOnce() async throws {
            try await ScratchNode.with("poison1") { node in
                let h = try ApplianceHarness("poison1", scratch: node)
                let queue = "ev.test.poison1.\(UUID().uuidString.prefix(8))"
                // 1080p at quality 100: 20 to 30 kB a frame. (BrokerFaultTests' poison test has a
                // camera of small frames beside it.)
                try h.writeConfig([
                    ApplianceHarness.camera("big", "testsrc:?size=1920x1080&rate=10", fps: 2, width: 1920, height: 1080)
                        .merging(["jpeg_quality": 100, "queue_capacity": 200]) { $1 }
                ], amqp: BrokerFaultTests.amqp)
                _ = try await h.tap(queue: queue, declareOnly: true)
                let app = try h.start()
                _ = try await h.waitForStatus("confirming", app: app) { ($0.cameras["big"]?.confirmed ?? 0) >= 3 }
                // New channels refuse messages over 10 kB: every frame is poison.
                try await node.ctl("eval", "application:set_env(rabbit, max_message_size, 10000).")
                try await node.ctl("close_all_connections", "--vhost", h.vhost, "poison test")
                let poisoned = try await h.waitForStatus("frames rejected", app: app) { ($0.cameras["big"]?.rejected ?? 0) >= 3 }
                #expect(poisoned.cameras["big"]?.brokerProblem == nil, "a poison frame is not the link's problem")
                #expect(poisoned.cameras["big"]?.restarts == 0)
                try await node.ctl("eval", "application:set_env(rabbit, max_message_size, 134217728).")
                // The limit applies to channels opened after it: the next connection confirms again.
                _ = try await h.waitForStatus("confirming again", app: app) { status in
                    (status.cameras["big"]?.confirmed ?? 0) >= (poisoned.cameras["big"]?.confirmed ?? 0) + 5
                }
                let (big, seqs) = try await Self.stop(app, h, queue: queue, camera: "big")
                // Each rejected frame logged once, by its message_id: `big-<instance>-<seq>`.
                let rejectedSeqs = app.stderr.split(separator: "\n")
                    .filter { $0.contains("camera=big") && $0.contains("broker refused a frame; counted as rejected") }
                    .compactMap { line -> Int? in
                        guard let range = line.range(of: #"message_id=big-[0-9a-z]+-[0-9]+"#, options: .regularExpression) else { return nil }
                        return Int(line[range].split(separator: "-").last!)
                    }
                #expect(big.rejected >= 3 && rejectedSeqs.count == big.rejected, "\(rejectedSeqs) \(big)")
                #expect(Set(rejectedSeqs).count == rejectedSeqs.count, "no frame rejected twice")
                let missing = Set(0..<big.framesEncoded).subtracting(seqs)
                #expect(missing == Set(rejectedSeqs), "exactly the rejected frames are missing: \(big)")
            }
        }

        /// SIGTERM, exit 0, the final status of `camera` and the distinct `seq`s of its frames in `queue`.
        static func stop(_ app: TestProcess, _ h: ApplianceHarness, queue: String, camera: String) async throws -> (CameraStatus, Set<Int>) {
            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(60)) == 0, "\(app.stderr.suffix(3000))")
            let final = try JSONDecoder().decode(StatusDocument.self, from: try Data(contentsOf: URL(fileURLWithPath: h.statusPath)))
            ApplianceHarness.checkLedger(final)
            let status = try #require(final.cameras[camera])
            #expect(status.inFlight == 0 && status.queuedForPublish == 0, "\(status)")
            return (status, try await h.drain(queue: queue).seqs[camera] ?? [])
        }

        /// `/healthz`: its HTTP status and reasons.
        static func health(_ port: Int) async throws -> (status: Int, reasons: [String]) {
            let answer = try await HTTPEndpointTests.probe(port, "get", "/healthz")
            let body = try #require(JSONSerialization.jsonObject(with: Data((answer["body"] as? String ?? "").utf8)) as? [String: Any])
            return (answer["status"] as? Int ?? 0, body["reasons"] as? [String] ?? [])
        }

        /// A reason with its running count of frames taken out (`12 frames returned` → `returned`).
        static func withoutCount(_ reason: String) -> String {
            reason.replacingOccurrences(of: #"[0-9]+ frames? returned"#, with: "returned", options: .regularExpression)
        }
    }
}
