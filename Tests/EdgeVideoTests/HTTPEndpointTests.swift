import EdgeVideoTestSupport
import Foundation
import Testing

@testable import EdgeVideo

extension BinaryTests {
    /// The HTTP endpoint of the real binary, probed by real clients (Python's http.client and raw
    /// sockets, `scripts/http-probe.py`), well-behaved and hostile, and checked by `promtool`.
    @Suite struct HTTPEndpointTests {
        /// Runs the probe; its one JSON line.
        static func probe(_ port: Int, _ arguments: String...) async throws -> [String: Any] {
            try await probe(port, arguments)
        }

        /// Runs the probe with `arguments`; its one JSON line.
        static func probe(_ port: Int, _ arguments: [String]) async throws -> [String: Any] {
            let process = try TestProcess(
                ApplianceHarness.python, [RepositoryFiles.path("scripts/http-probe.py"), "127.0.0.1", "\(port)"] + arguments,
                name: "http-probe")
            let line = try await first(process.lines, within: .seconds(60), what: "probe answer \(arguments)") { $0.hasPrefix("{") }
            _ = try await process.waitForExit(within: .seconds(30))
            return try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }

        /// The port the instance logged it listens on.
        static func listeningPort(of app: TestProcess) async throws -> Int {
            try await eventually(within: .seconds(30), "HTTP endpoint listening") {
                guard let range = app.stderr.range(of: #"HTTP endpoint listening on 127\.0\.0\.1:[0-9]+"#, options: .regularExpression)
                else { return nil }
                return Int(app.stderr[range].split(separator: ":").last!)
            }
        }

        @Test(.timeLimit(.minutes(4))) func servesMetricsHealthStatusAndFramesAndBoundsHostileClients() async throws {
            let h = try ApplianceHarness("http", httpPort: 0)
            let synthetic = ApplianceHarness.camera("synthetic", "testsrc:?size=320x180&rate=10", fps: 5)
            try h.writeConfig([synthetic])
            let app = try h.start()
            let port = try await Self.listeningPort(of: app)

            // Healthy: every camera running and confirmed.
            let healthy = try await eventually(within: .seconds(60), "healthz 200") {
                let answer = try await Self.probe(port, "get", "/healthz")
                return answer["status"] as? Int == 200 ? answer : nil
            }
            let health = try #require(JSONSerialization.jsonObject(with: Data((healthy["body"] as? String ?? "").utf8)) as? [String: Any])
            #expect(health["status"] as? String == "ok" && (health["reasons"] as? [String])?.isEmpty == true)
            _ = try await h.waitForStatus("frames confirmed", app: app) { $0.cameras["synthetic"]?.confirmed ?? 0 >= 3 }

            // /status is the status file's document, of this process; the tree holds the endpoint.
            let status = try await Self.probe(port, "get", "/status")
            #expect(status["status"] as? Int == 200)
            #expect((status["headers"] as? [String: String])?["content-type"] == "application/json")
            let document = try JSONDecoder().decode(StatusDocument.self, from: Data((status["body"] as? String ?? "").utf8))
            #expect(document.pid == app.pid)
            let httpNode = try #require(document.tree.children.first)
            #expect(httpNode.id == "http" && httpNode.state == .running && httpNode.children.map(\.id) == ["server"])

            // The latest JPEG, from memory.
            let jpeg = try await Self.probe(port, "get", "/cameras/synthetic/latest.jpg")
            #expect(jpeg["status"] as? Int == 200 && (jpeg["head"] as? String)?.hasPrefix("ffd8") == true, "\(jpeg)")
            #expect((jpeg["headers"] as? [String: String])?["content-type"] == "image/jpeg" && (jpeg["length"] as? Int ?? 0) > 500)

            // /metrics names and values, and promtool's verdict.
            let metrics = try await Self.probe(port, "get", "/metrics")
            let text = try #require(metrics["body"] as? String)
            for expected in [
                #"edge_video_frames_total{camera="synthetic",stage="encoded"}"#,
                #"edge_video_frames_confirmed_total{camera="synthetic"}"#,
                #"edge_video_frames_dropped_total{camera="synthetic",stage="before_encode"}"#,
                #"edge_video_frames_dropped_total{camera="synthetic",stage="after_encode"}"#,
                #"edge_video_frames_rejected_total{camera="synthetic"}"#,
                #"edge_video_frames_queued_for_encode{camera="synthetic"}"#,
                #"edge_video_frames_queued_for_publish{camera="synthetic"}"#,
                #"edge_video_frames_in_flight{camera="synthetic"}"#,
                #"edge_video_broker_connected{camera="synthetic"} 1.0"#,
                #"edge_video_camera_state{camera="synthetic",state="running"} 1"#,
                #"edge_video_queue_depth_frames{camera="synthetic",queue="encode"}"#,
                #"edge_video_last_frame_age_seconds{camera="synthetic"}"#,
                #"edge_video_encode_duration_seconds_bucket{camera="synthetic",le="+Inf"}"#,
                #"edge_video_capture_to_confirm_seconds_count{camera="synthetic"}"#,
                "edge_video_live_tasks ", "process_threads ", "process_open_fds ", "process_resident_memory_bytes ",
            ] {
                #expect(text.contains(expected), "\(expected) missing from /metrics")
            }
            try Self.promtoolCheck(text)
            func value(_ series: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
            }
            // The histograms saw the frames, and the counters are the status's figures.
            #expect(value(#"edge_video_encode_duration_seconds_count{camera="synthetic"}"#) ?? 0 >= 3)
            #expect(value(#"edge_video_capture_to_confirm_seconds_count{camera="synthetic"}"#) ?? 0 >= 3)
            let confirmedBefore = try #require(document.cameras["synthetic"]?.confirmed)
            #expect(value(#"edge_video_frames_confirmed_total{camera="synthetic"}"#) ?? 0 >= Double(confirmedBefore))
            #expect(value(#"edge_video_restarts_total{camera="synthetic"}"#) == 0)
            // One scrape is one read of the ledger: its identities hold in the figures.
            func ledger(_ name: String, _ stage: String? = nil) -> Double {
                value("edge_video_frames_\(name){camera=\"synthetic\"" + (stage.map { ",stage=\"\($0)\"" } ?? "") + "}") ?? -1
            }
            #expect(ledger("total", "captured") == ledger("total", "encoded") + ledger("dropped_total", "before_encode") + ledger("queued_for_encode"))
            #expect(ledger("total", "encoded") == ledger("confirmed_total") + ledger("in_flight") + ledger("queued_for_publish")
                + ledger("dropped_total", "after_encode") + ledger("nacked_total") + ledger("returned_total") + ledger("rejected_total"))

            // Wrong methods, unknown and traversing paths.
            let post = try await Self.probe(port, "get", "/metrics", "POST")
            #expect(post["status"] as? Int == 405 && (post["headers"] as? [String: String])?["allow"] == "GET, HEAD")
            for path in [
                "/nope", "/cameras/nope/latest.jpg", "/cameras/../status", "/cameras/%2e%2e/latest.jpg",
                "/cameras/synthetic/../../status", "/cameras/synthetic/latest.jpg/", "//status", "/status/..",
            ] {
                let answer = try await Self.probe(port, "get", path)
                #expect(answer["status"] as? Int == 404, "\(path): \(answer)")
            }
            let head = try await Self.probe(port, "get", "/cameras/synthetic/latest.jpg", "HEAD")
            #expect(head["status"] as? Int == 200 && head["length"] as? Int == 0)

            // Hostile clients: oversized heads, malformed requests, a slow client, a connection flood.
            #expect(try await Self.probe(port, "bigheader", "9000")["status"] as? Int == 431)
            #expect(try await Self.probe(port, "bigheader", "6000")["status"] as? Int == 200)
            #expect(try await Self.probe(port, "raw", #"GARBAGE\r\n\r\n"#)["status"] as? Int == 400)
            #expect(try await Self.probe(port, "raw", #"GET /status HTTP/2.0\r\n\r\n"#)["status"] as? Int == 505)
            #expect(try await Self.probe(port, "raw", #"GET /st\x00atus HTTP/1.1\r\n\r\n"#)["status"] as? Int == 400)
            let slow = try await Self.probe(port, "slow")
            let seconds = try #require(slow["seconds"] as? Double)
            #expect(slow["status"] as? Int == 408 && seconds >= 4.5 && seconds < 10, "slow client: \(slow)")
            // Trickling a byte at a time does not extend the deadline: it bounds the whole head.
            let trickle = try await Self.probe(port, "trickle")
            let trickled = try #require(trickle["seconds"] as? Double)
            #expect(trickle["status"] as? Int == 408 && trickled >= 4.5 && trickled < 10, "trickling client: \(trickle)")
            #expect(try await Self.probe(port, "flood", "16")["status"] as? Int == 503)
            #expect(try await Self.probe(port, "get", "/healthz")["status"] as? Int == 200, "still serving after the hostile clients")

            // A camera without frames: 503 for its JPEG and for /healthz, with the reason.
            try h.writeConfig([synthetic, ApplianceHarness.camera("broken", "rtsp://127.0.0.1:9/none", stall: 2)])
            // Between its start and its first failure the camera runs (with its broker connection
            // not yet open): wait for the state a failing camera settles in.
            let unhealthy = try await eventually(within: .seconds(60), "healthz 503 naming the broken camera's state") {
                let answer = try await Self.probe(port, "get", "/healthz")
                return answer["status"] as? Int == 503 && (answer["body"] as? String ?? "").contains("camera broken is ") ? answer : nil
            }
            let reasons = try #require(JSONSerialization.jsonObject(with: Data((unhealthy["body"] as? String ?? "").utf8)) as? [String: Any])
            #expect((reasons["reasons"] as? [String])?.contains { $0.hasPrefix("camera broken is ") } == true, "\(reasons)")
            #expect(try await Self.probe(port, "get", "/cameras/broken/latest.jpg")["status"] as? Int == 503)

            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(30)) == 0)
        }

        @Test(.timeLimit(.minutes(3))) func portInUseBacksOffAloneThenServesAndStatusUsesIt() async throws {
            let port = try freePort()
            // Another HTTP server holds the port first, answering /status with another process's document.
            let impostor = #"{"pid":1,"version":"x","uptime_s":1,"live_tasks":0,"config":{"path":"x","generation":1,"last_error":null},"tree":{"id":"root","kind":"supervisor","state":"running","restarts":0},"cameras":{}}"#
            let script = """
                import http.server
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        body = b'\(impostor)'
                        self.send_response(200)
                        self.send_header('Content-Length', str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                    def log_message(self, *a):
                        pass
                server = http.server.HTTPServer(('127.0.0.1', \(port)), H)
                print('READY', flush=True)
                server.serve_forever()
                """
            let squatter = try TestProcess(ApplianceHarness.python, ["-c", script], name: "squatter")
            _ = try await first(squatter.lines, within: .seconds(30), what: "squatter READY") { $0 == "READY" }
            let h = try ApplianceHarness("http-port", httpPort: port)
            try h.writeConfig([ApplianceHarness.camera("cam", "testsrc:?size=320x180&rate=10", fps: 5)])
            let app = try h.start()
            let backingOff = try await h.waitForStatus("http server backing off, camera running", app: app) { status in
                let server = status.tree.children.first { $0.id == "http" }?.children.first
                return server?.state == .backingOff && (server?.restarts ?? 0) >= 2 && status.cameras["cam"]?.state == .running
                    && (status.cameras["cam"]?.confirmed ?? 0) > 0
            }
            let server = try #require(backingOff.tree.children.first { $0.id == "http" }?.children.first)
            #expect(server.lastExit == "cannot listen on 127.0.0.1:\(port): bind: Address already in use")
            #expect(backingOff.cameras["cam"]?.restarts == 0, "the endpoint's failures never touch a camera")

            // `edge-video status` does not take the other server's document (its pid is not the pid
            // file's): it falls back to SIGUSR1, which writes the status file.
            try? FileManager.default.removeItem(atPath: h.statusPath)
            let fallback = try TestProcess(ApplianceHarness.binary, ["status", "--config", h.configPath, "--json"], name: "status")
            let fallbackLine = try await first(fallback.lines, within: .seconds(30), what: "status JSON") { $0.contains("\"pid\"") }
            #expect(try await fallback.waitForExit(within: .seconds(30)) == 0)
            #expect(fallbackLine.contains("\(app.pid)"))
            #expect(FileManager.default.fileExists(atPath: h.statusPath), "the fallback signalled the instance")

            // The port is freed: the endpoint's next restart binds it.
            squatter.signal(SIGKILL)
            _ = try await squatter.waitForExit(within: .seconds(10))
            _ = try await eventually(within: .seconds(60), "endpoint serving after the port was freed") {
                try await Self.probe(port, "get", "/healthz")["status"] as? Int == 200 ? true : nil
            }

            // `edge-video status` reads GET /status: no SIGUSR1, so no status file is written.
            try? FileManager.default.removeItem(atPath: h.statusPath)
            let status = try TestProcess(ApplianceHarness.binary, ["status", "--config", h.configPath, "--json"], name: "status")
            let line = try await first(status.lines, within: .seconds(30), what: "status JSON") { $0.contains("\"pid\"") }
            #expect(try await status.waitForExit(within: .seconds(30)) == 0)
            #expect(line.contains("\(app.pid)"))
            #expect(!FileManager.default.fileExists(atPath: h.statusPath), "status went through the endpoint, not SIGUSR1")

            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(30)) == 0)
        }

        /// The broker gone (the proxy in front of it closes its listener and resets every
        /// connection): the camera goes on running and capturing, so the outage shows as the broker
        /// link, in /healthz and /metrics as in the status; once the broker is back, both recover.
        @Test(.timeLimit(.minutes(4))) func brokerOutageShowsInHealthAndMetrics() async throws {
            let proxy = try await FaultProxy(target: 5672)
            let h = try ApplianceHarness("http-outage", appPort: proxy.port, httpPort: 0)
            try h.writeConfig(
                [ApplianceHarness.camera("cam", "testsrc:?size=320x180&rate=10", fps: 5)],
                amqp: ["heartbeat_s": 2, "confirm_timeout_s": 8, "connect_timeout_s": 3])
            let app = try h.start()
            let port = try await Self.listeningPort(of: app)
            func scrape() async throws -> [String: Double] {
                let text = try #require(try await Self.probe(port, "get", "/metrics")["body"] as? String)
                var values: [String: Double] = [:]
                for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                    let parts = line.split(separator: " ")
                    if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
                }
                return values
            }
            let connected = #"edge_video_broker_connected{camera="cam"}"#
            _ = try await eventually(within: .seconds(60), "healthz 200, broker connected") {
                let health = try await Self.probe(port, "get", "/healthz")["status"] as? Int
                let values = try await scrape()
                return health == 200 && values[connected] == 1 ? true : nil
            }

            try await proxy.command("down")
            let outage = try await eventually(within: .seconds(60), "healthz 503 naming the broker") {
                let answer = try await Self.probe(port, "get", "/healthz")
                return answer["status"] as? Int == 503 ? answer : nil
            }
            let body = try #require(JSONSerialization.jsonObject(with: Data((outage["body"] as? String ?? "").utf8)) as? [String: Any])
            let reasons = try #require(body["reasons"] as? [String])
            #expect(reasons.count == 1 && reasons[0].hasPrefix("camera cam broker disconnected"), "\(reasons)")
            #expect(!reasons[0].contains("guest:guest"), "no password in a reason")
            // Capture goes on during the outage: frames pile up in the publish queue (and are dropped
            // past it), the camera is not restarted.
            let during = try await eventually(within: .seconds(60), "frames queued for publishing during the outage") {
                let values = try await scrape()
                return values[connected] == 0 && (values[#"edge_video_frames_queued_for_publish{camera="cam"}"#] ?? 0) > 0 ? values : nil
            }
            #expect(during[#"edge_video_camera_state{camera="cam",state="running"}"#] == 1)
            #expect(during[#"edge_video_restarts_total{camera="cam"}"#] == 0)

            try await proxy.command("up")
            let confirmedBefore = during[#"edge_video_frames_confirmed_total{camera="cam"}"#] ?? 0
            let after = try await eventually(within: .seconds(60), "healthz 200 again, frames confirmed") {
                let health = try await Self.probe(port, "get", "/healthz")["status"] as? Int
                let values = try await scrape()
                return health == 200 && values[connected] == 1
                    && values[#"edge_video_frames_confirmed_total{camera="cam"}"#] ?? 0 > confirmedBefore ? values : nil
            }
            #expect(after[#"edge_video_restarts_total{camera="cam"}"#] == 0)
            #expect(after[#"edge_video_reconnects_total{camera="cam"}"#] ?? 0 >= 1)

            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(30)) == 0)
        }

        /// `promtool check metrics` on the exposition: exit 0 and no lint problems.
        static func promtoolCheck(_ text: String) throws {
            let promtool = "/usr/bin/promtool"
            guard FileManager.default.isExecutableFile(atPath: promtool) else {
                Issue.record("promtool missing: scripts/install-deps.sh installs Debian's prometheus package")
                return
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: promtool)
            process.arguments = ["check", "metrics"]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try process.run()
            input.fileHandleForWriting.write(Data(text.utf8))
            try input.fileHandleForWriting.close()
            let verdict = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0 && verdict.isEmpty, "promtool: \(verdict)")
        }
    }
}
