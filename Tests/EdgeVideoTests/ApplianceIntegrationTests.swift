import EdgeVideoTestSupport
import Foundation
import Locking
import Testing

@testable import EdgeVideo

extension BinaryTests {
    /// The real `edge-video` binary against the real broker and a real RTSP server. Serialized:
    /// each test runs several cameras on a 2-core machine.
    @Suite struct ApplianceIntegrationTests {
        /// Collects the tap's frames by camera as they arrive.
        final class FrameLog: Sendable {
            let frames = Locked<[TappedFrame]>([])
            func byCamera(_ id: String) -> [TappedFrame] { frames.withLock { $0.filter { $0.cameraID == id } } }
            var count: Int { frames.withLock { $0.count } }
        }

        private func collect(_ tap: TestProcess) -> (FrameLog, Task<Void, Never>) {
            let log = FrameLog()
            let task = Task {
                for await line in tap.lines where line.hasPrefix("{") {
                    if let frame = try? TappedFrame(line: line) { log.frames.withLock { $0.append(frame) } }
                }
            }
            return (log, task)
        }

        @Test(.timeLimit(.minutes(5))) func camerasRunPublishReloadAndReportStatus() async throws {
            let h = try ApplianceHarness("full")
            let rtsp = try await RTSPServer(mounts: ["/cam0", "/cam1", "/cam2"])
            let cameras = [
                ApplianceHarness.camera("rtsp-0", rtsp.url("/cam0")),
                ApplianceHarness.camera("rtsp-1", rtsp.url("/cam1")),
                ApplianceHarness.camera("rtsp-2", rtsp.url("/cam2"), width: 160, height: 90),
                ApplianceHarness.camera("synthetic", "testsrc:?size=640x360&rate=10", width: 320, height: 180),
            ]
            try h.writeConfig(cameras)
            let tap = try await h.tap()
            let (log, collector) = collect(tap)
            defer { collector.cancel() }
            let app = try h.start()

            // All four reach running; frames with the contract's headers and JPEGs of the configured size.
            let running = try await h.waitForStatus("all cameras running and publishing") { status in
                status.cameras.count == 4 && status.cameras.values.allSatisfy { $0.state == .running && $0.confirmed >= 3 }
            }
            #expect(running.tree.children.map(\.id) == ["camera:rtsp-0", "camera:rtsp-1", "camera:rtsp-2", "camera:synthetic"])
            _ = try await eventually(within: .seconds(30), "frames from every camera") {
                ["rtsp-0", "rtsp-1", "rtsp-2", "synthetic"].allSatisfy { log.byCamera($0).count >= 3 } ? true : nil
            }
            for (id, width, height) in [("rtsp-0", 320, 180), ("rtsp-2", 160, 90), ("synthetic", 320, 180)] {
                let frames = log.byCamera(id)
                for frame in frames {
                    #expect(frame.routing_key == "camera.\(id).frame")
                    #expect(frame.content_type == "image/jpeg" && frame.delivery_mode == 2)
                    #expect(frame.jpeg_width == width && frame.jpeg_height == height, "\(id): \(String(describing: frame.jpeg_width))x\(String(describing: frame.jpeg_height))")
                    #expect(frame.headers["width"]?.int == Int64(width) && frame.headers["height"]?.int == Int64(height))
                    let capturedAt = try #require(frame.headers["captured_at_us"]?.int)
                    #expect(frame.timestamp == Int(capturedAt / 1_000_000))
                    #expect(abs(Double(capturedAt) / 1e6 - Date().timeIntervalSince1970) < 120)
                }
                let seqs = frames.compactMap(\.seq)
                #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count, "\(id) seq increasing")
                #expect(Set(frames.compactMap(\.message_id)).count == frames.count, "\(id) message ids unique")
            }

            // SIGUSR1: the status file has the contract's shape; the tree goes to stderr.
            app.signal(SIGUSR1)
            let raw = try await eventually(within: .seconds(10), "status file") {
                FileManager.default.contents(atPath: h.statusPath)
            }
            let json = try #require(JSONSerialization.jsonObject(with: raw) as? [String: Any])
            #expect(Set(json.keys) == ["pid", "version", "uptime_s", "live_tasks", "config", "tree", "cameras", "spool"])
            #expect(json["pid"] as? Int == Int(app.pid) && json["version"] as? String == "0.1.0")
            let tree = try #require(json["tree"] as? [String: Any])
            #expect(tree["id"] as? String == "root" && tree["strategy"] as? String == "one_for_one")
            let subtree = try #require((tree["children"] as? [[String: Any]])?.first)
            #expect(subtree["strategy"] as? String == "one_for_all")
            #expect((subtree["children"] as? [[String: Any]])?.map { $0["id"] as? String } == ["publisher", "encoder", "capture"])
            #expect(json["live_tasks"] as? Int == tree["live_tasks"] as? Int)
            _ = try await eventually(within: .seconds(10), "tree on stderr") { app.stderr.contains("└─ camera:synthetic") ? true : nil }
            #expect(!String(decoding: raw, as: UTF8.self).contains("guest:guest"))

            // `edge-video status --json` against the running instance.
            let client = try TestProcess(ApplianceHarness.binary, ["status", "--config", h.configPath, "--json"], name: "status")
            var output = ""
            for await line in client.lines { output += line + "\n" }
            #expect(try await client.waitForExit(within: .seconds(20)) == 0, "\(client.stderr)")
            let viaCLI = try JSONDecoder().decode(StatusDocument.self, from: Data(output.utf8))
            #expect(viaCLI.pid == app.pid && viaCLI.cameras.count == 4)

            // Live edit (atomic rename): remove rtsp-2, change rtsp-1, add a camera; rtsp-0 and synthetic untouched.
            let before = try await h.status()
            var edited = cameras
            edited.remove(at: 2)
            edited[1]["fps"] = 2
            edited.append(ApplianceHarness.camera("added", "testsrc:?size=320x240&rate=5", fps: 2, width: 160, height: 120))
            let editedAt = Date().timeIntervalSince1970
            try h.writeConfig(edited)
            let after = try await h.waitForStatus("reload applied") { status in
                status.config.generation == 2 && status.cameras["added"]?.state == .running
                    && status.cameras["rtsp-1"]?.state == .running && status.cameras["rtsp-2"] == nil
            }
            #expect(after.tree.children.map(\.id) == ["camera:rtsp-0", "camera:synthetic", "camera:rtsp-1", "camera:added"])
            for id in ["rtsp-0", "synthetic"] {
                #expect(after.cameras[id]?.restarts == before.cameras[id]?.restarts, "\(id) restarted")
                #expect(after.cameras[id]?.reconnects == before.cameras[id]?.reconnects, "\(id) reconnected")
                #expect((after.cameras[id]?.confirmed ?? 0) > (before.cameras[id]?.confirmed ?? 0))
            }
            // The untouched cameras' frames never stopped: no gap of more than 1.5 s around the edit.
            let settled = Date().timeIntervalSince1970 + 2
            _ = try await eventually(within: .seconds(20), "frames after the edit") {
                log.byCamera("synthetic").contains { Double($0.headers["captured_at_us"]?.int ?? 0) / 1e6 > settled } ? true : nil
            }
            for id in ["rtsp-0", "synthetic"] {
                let times = log.byCamera(id).compactMap { $0.headers["captured_at_us"]?.int }.map { Double($0) / 1e6 }
                    .filter { $0 > editedAt - 2 && $0 < settled }.sorted()
                let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
                #expect((gaps.max() ?? 99) < 1.5, "\(id) frame gap \(gaps.max() ?? -1) s during reload")
            }

            // Invalid JSON written in place: rejected, the old configuration keeps running.
            try h.writeRaw(Data(#"{"cameras": [ {"id": "x", "#.utf8), atomically: false)
            let rejected = try await h.waitForStatus("invalid config rejected") { $0.config.lastError != nil }
            #expect(rejected.config.generation == 2)
            #expect(rejected.config.lastError?.contains("invalid JSON") == true)
            #expect(rejected.cameras.count == 4 && rejected.cameras.values.allSatisfy { $0.state == .running })

            // A path error via SIGHUP after an in-place write.
            try h.writeRaw(try JSONSerialization.data(withJSONObject: h.document(edited + [["id": "bad", "url": "testsrc:", "fps": 0]])), atomically: false)
            app.signal(SIGHUP)
            let pathError = try await h.waitForStatus("path error reported") { $0.config.lastError?.contains("cameras[4].fps: must be > 0") == true }
            #expect(pathError.config.generation == 2 && pathError.cameras["bad"] == nil)

            // rtsp-2 added back: its frame numbers continue, so no message_id repeats.
            let removedFrames = log.byCamera("rtsp-2").count
            try h.writeConfig(edited + [cameras[2]])
            _ = try await h.waitForStatus("rtsp-2 back") { $0.config.generation == 3 && $0.cameras["rtsp-2"]?.state == .running }
            _ = try await eventually(within: .seconds(30), "rtsp-2 frames again") {
                log.byCamera("rtsp-2").count >= removedFrames + 3 ? true : nil
            }
            let again = log.byCamera("rtsp-2")
            let seqs = again.compactMap(\.seq)
            #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count, "seq continues after re-adding")
            #expect(Set(again.compactMap(\.message_id)).count == again.count)

            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(60)) == 0, "\(app.stderr.suffix(3000))")
            #expect(!app.stderr.contains("guest:guest"))
            withExtendedLifetime(rtsp) {}
        }
    }
}
