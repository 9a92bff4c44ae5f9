import Foundation
import Testing

@testable import EdgeVideo

extension BinaryTests {
    /// Faults against the real binary: broker connections closed, a frozen RTSP server, a camera
    /// that never answers, and the graceful stop's accounting.
    @Suite struct ApplianceFaultTests {
        @Test(.timeLimit(.minutes(6))) func closingAllConnections50TimesRecoversAndLiveTasksReturn() async throws {
            let h = try ApplianceHarness("close")
            try h.writeConfig([
                ApplianceHarness.camera("c1", "testsrc:?size=320x180&rate=10", fps: 5),
                ApplianceHarness.camera("c2", "testsrc:?size=320x180&rate=10", fps: 5),
                ApplianceHarness.camera("c3", "testsrc:?size=320x180&rate=10", fps: 2),
            ])
            let app = try h.start()
            let steady = try await h.waitForStatus("all running") { status in
                status.cameras.count == 3 && status.cameras.values.allSatisfy { $0.state == .running && $0.confirmed > 0 }
            }
            let steadyTasks = steady.liveTasks
            #expect(steadyTasks == 3 * 4, "per camera: the subtree task and its three children")
            var reconnects = steady.cameras.mapValues(\.reconnects)
            var spreads: [Int] = []
            for round in 1...50 {
                // Close them; then wait until every camera has a new connection, so each round cuts live ones.
                try ApplianceHarness.rabbitmqctl(["close_all_connections", "--vhost", h.vhost, "edge-video test round \(round)"])
                let recovered = try await h.waitForStatus("round \(round): every camera reconnected", within: .seconds(60)) { status in
                    status.cameras.allSatisfy { id, camera in camera.reconnects > reconnects[id]! && camera.state == .running }
                }
                reconnects = recovered.cameras.mapValues(\.reconnects)
                if round <= 10 {
                    let times = try h.connections().values
                    spreads.append((times.max() ?? 0) - (times.min() ?? 0))
                }
            }
            // Reconnects after an outage are jittered (200 to 400 ms after a connection that worked).
            #expect(spreads.sorted()[spreads.count / 2] >= 5, "reconnect spreads (ms): \(spreads)")
            let final = try await h.waitForStatus("live tasks back to steady") { status in
                status.liveTasks == steadyTasks && status.cameras.values.allSatisfy { $0.state == .running }
            }
            // A broker fault is not a camera fault: the publishers reconnected, nothing restarted.
            #expect(final.cameras.values.allSatisfy { $0.reconnects >= 50 && $0.restarts == 0 }, "\(final.cameras)")
            #expect(final.tree.state == .running && final.tree.restarts == 0, "nothing escalated to the root")
            // Outage lines carry the camera id and the reason.
            #expect(app.stderr.contains("camera=c1"))
            #expect(app.stderr.contains("broker connection lost; reconnecting"))
            #expect(!app.stderr.contains("guest:guest"))
            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(60)) == 0)
        }

        @Test(.timeLimit(.minutes(4))) func stalledRTSPServerRestartsItsCamerasOnlyAndBadCameraBacksOff() async throws {
            let h = try ApplianceHarness("stall")
            let rtsp = try await RTSPServer(mounts: ["/a", "/b"])
            try h.writeConfig([
                ApplianceHarness.camera("ra", rtsp.url("/a"), fps: 5, stall: 4),
                ApplianceHarness.camera("rb", rtsp.url("/b"), fps: 5, stall: 4),
                ApplianceHarness.camera("steady", "testsrc:?size=320x180&rate=10", fps: 5),
                ApplianceHarness.camera("nowhere", "rtsp://127.0.0.1:9/none", fps: 1, stall: 4),
            ])
            let app = try h.start()
            let up = try await h.waitForStatus("cameras running", app: app) { status in
                ["ra", "rb", "steady"].allSatisfy { status.cameras[$0]?.state == .running && (status.cameras[$0]?.confirmed ?? 0) > 0 }
            }
            // The unreachable camera crash-loops with backoff and its last error, alone.
            let looping = try await h.waitForStatus("bad camera backing off") { status in
                status.cameras["nowhere"]?.state == .backingOff && (status.cameras["nowhere"]?.restarts ?? 0) >= 2
            }
            #expect(looping.cameras["nowhere"]?.lastError?.isEmpty == false)
            #expect(looping.tree.state == .running && looping.tree.restarts == 0)

            rtsp.process.signal(SIGSTOP)
            let stoppedAt = ContinuousClock.now
            let base = try await h.status()
            let stalled = try await h.waitForStatus("RTSP cameras restarted after the stall timeout") { status in
                ["ra", "rb"].allSatisfy { (status.cameras[$0]?.restarts ?? 0) > (up.cameras[$0]?.restarts ?? 0) }
            }
            // The stall deadline runs from the last video packet read (LibavSource), which came before
            // the SIGSTOP by about one frame interval of the server (67 ms at its 15 fps,
            // scripts/rtsp-server.py) plus its jitter: a restart 3.99 s after `stoppedAt` is on time
            // (seen in CI). 150 ms of slack still tells the 4 s timeout from any shorter one.
            #expect(ContinuousClock.now - stoppedAt >= .seconds(4) - .milliseconds(150), "not before the stall timeout")
            #expect(stalled.cameras["ra"]?.lastError?.contains("stall") == true, "\(String(describing: stalled.cameras["ra"]?.lastError))")
            #expect(stalled.cameras["steady"]?.restarts == up.cameras["steady"]?.restarts)
            // The testsrc camera kept its rate (5 fps) while the others stalled and restarted.
            let elapsed = stalled.uptimeS - base.uptimeS
            let encoded = Double((stalled.cameras["steady"]?.framesEncoded ?? 0) - (base.cameras["steady"]?.framesEncoded ?? 0))
            #expect(elapsed > 1 && encoded >= 5 * elapsed * 0.7, "steady camera: \(encoded) frames in \(elapsed) s")

            rtsp.process.signal(SIGCONT)
            _ = try await h.waitForStatus("RTSP cameras back") { status in
                ["ra", "rb"].allSatisfy { status.cameras[$0]?.state == .running && (status.cameras[$0]?.framesCaptured ?? 0) > (stalled.cameras[$0]?.framesCaptured ?? 0) }
            }
            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(60)) == 0, "\(app.stderr.suffix(2000))")
        }

        @Test(.timeLimit(.minutes(3))) func amqpChangeRestartsCamerasOneByOne() async throws {
            let h = try ApplianceHarness("roll")
            let cameras = (1...3).map { ApplianceHarness.camera("r\($0)", "testsrc:?size=320x180&rate=10", fps: 2) }
            try h.writeConfig(cameras)
            let app = try h.start()
            let before = try await h.waitForStatus("running", app: app) { status in
                status.cameras.count == 3 && status.cameras.values.allSatisfy { $0.state == .running && $0.confirmed > 0 }
            }
            let oldConnections = try h.connections()
            try h.writeConfig(cameras, amqp: ["heartbeat_s": 6])
            let after = try await h.waitForStatus("amqp change applied", app: app) { status in
                status.config.generation == 2
                    && status.cameras.allSatisfy { id, camera in
                        camera.state == .running && camera.reconnects == (before.cameras[id]?.reconnects ?? 0) + 1
                    }
            }
            #expect(after.cameras.values.allSatisfy { $0.restarts == 0 }, "new subtrees, not crash restarts")
            let new = try h.connections()
            #expect(new.count == 3 && Set(new.keys) == ["r1", "r2", "r3"], "\(new) after \(oldConnections)")
            for id in ["r1", "r2", "r3"] { #expect((new[id] ?? 0) > (oldConnections[id] ?? .max)) }
            // One by one, in file order: each camera reconnects after the previous one is back.
            let times = ["r1", "r2", "r3"].compactMap { new[$0] }
            #expect(times == times.sorted() && zip(times.dropFirst(), times).allSatisfy { $0 - $1 >= 1 }, "\(times)")
            let log = app.stderr.split(separator: "\n").map(String.init)
            let restarted = ["r1", "r2", "r3"].map { id in
                log.firstIndex { $0.contains("camera=\(id)") && $0.contains("camera restarted with the new configuration") }
            }
            let lastConnect = ["r1", "r2", "r3"].map { id in
                log.lastIndex { $0.contains("camera=\(id) ") && $0.contains("AMQP connected") }
            }
            // r2 connects only after r1 is back, r3 only after r2.
            for k in 1..<3 {
                let previousDone = try #require(restarted[k - 1])
                let connected = try #require(lastConnect[k])
                #expect(connected > previousDone, "camera r\(k + 1) reconnected before r\(k) was back")
            }
            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(60)) == 0)
        }

        @Test(.timeLimit(.minutes(2))) func stopThatCannotFinishLogsStuckTasksAndExits75() async throws {
            let h = try ApplianceHarness("stuck")
            // Opening a FIFO with no writer blocks in open(2), which no libav interrupt can end:
            // the capture child cannot return when asked to stop.
            let fifo = h.directory + "/camera.fifo"
            #expect(mkfifo(fifo, 0o600) == 0)
            var document = h.document([
                ApplianceHarness.camera("ok", "testsrc:?size=320x180&rate=10", fps: 2),
                ApplianceHarness.camera("stuck", "file://" + fifo, fps: 1),
            ])
            document["supervision"] = ["shutdown_timeout_s": 1]
            try h.writeRaw(try JSONSerialization.data(withJSONObject: document))
            let app = try h.start()
            _ = try await h.waitForStatus("running", app: app) { status in
                status.cameras["ok"]?.confirmed ?? 0 > 0 && status.cameras["stuck"]?.state == .running
            }
            let pidFile = h.directory + "/run/edge-video.pid"
            #expect(PIDFile.read(at: pidFile)?.pid == app.pid)
            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(30)) == 75)
            #expect(app.stderr.contains("graceful stop timed out; exiting anyway"))
            #expect(!FileManager.default.fileExists(atPath: pidFile), "exit 75 leaves through the defers that remove the pid file")
            #expect(app.stderr.contains(#"stuck=["root/camera:stuck/capture"]"#), "\(app.stderr.suffix(1500))")
        }

        @Test(.timeLimit(.minutes(3))) func sigtermPublishesWhatIsQueuedAndAwaitsConfirms() async throws {
            let h = try ApplianceHarness("term")
            let queue = "ev.test.term.\(UUID().uuidString.prefix(8))"
            try h.writeConfig([
                ApplianceHarness.camera("t1", "testsrc:?size=320x180&rate=15", fps: 10),
                ApplianceHarness.camera("t2", "testsrc:?size=320x180&rate=15", fps: 10),
                // 4K frames scaled to 720p at 120 fps outrun the encoder: its input queue is full
                // (the overflow dropped, and counted) when the stop comes.
                ApplianceHarness.camera("t3", "testsrc:?size=3840x2160&rate=120", fps: 120, width: 1280, height: 720),
            ])
            _ = try await h.tap(queue: queue, declareOnly: true)
            let app = try h.start()
            _ = try await h.waitForStatus("publishing") { status in
                status.cameras.count == 3 && status.cameras.values.allSatisfy { $0.confirmed >= 20 }
            }
            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(60)) == 0, "\(app.stderr.suffix(2000))")
            let final = try JSONDecoder().decode(StatusDocument.self, from: try Data(contentsOf: URL(fileURLWithPath: h.statusPath)))
            #expect(final.cameras.values.allSatisfy { $0.inFlight == 0 && $0.state == .stopped })
            #expect(final.liveTasks == 0)
            // Nothing captured was lost at the stop: the ledger balances with nothing left queued or
            // in flight, and with no restart nothing was republished.
            for (id, camera) in final.cameras {
                #expect(camera.ledgerIdentitiesHold, "\(id): \(camera)")
                #expect(camera.queuedForEncode == 0 && camera.queuedForPublish == 0, "\(id): \(camera)")
                #expect(camera.restarts == 0 && camera.reconnects == 0, "\(id): \(camera)")
                #expect(camera.published == camera.confirmed && camera.framesEncoded == camera.confirmed + camera.droppedAfterEncode, "\(id): \(camera)")
            }
            let confirmed = final.cameras.values.map(\.confirmed).reduce(0, +)
            let inQueue = try await h.drain(queue: queue)
            #expect(inQueue.count == confirmed, "every confirmed frame is in the queue (and nothing else)")
            #expect(inQueue.distinct == inQueue.count)
            #expect(FileManager.default.fileExists(atPath: h.directory + "/run/edge-video.pid") == false)
            // No per-frame logging at the default level: a handful of lines for dozens of frames.
            // (Log lines start with their timestamp; `edge-video status` polling echoes no tree.)
            let lines = app.stderr.split(separator: "\n").filter { $0.hasPrefix("20") }.count
            #expect(confirmed >= 40 && lines < 20, "\(lines) log lines for \(confirmed) frames")
        }
    }
}
