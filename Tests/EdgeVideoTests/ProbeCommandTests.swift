import Foundation
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

extension BinaryTests {
    /// `edge-video probe` (the real binary) against a real RTSP server, a real file, testsrc:, and
    /// sources that never answer.
    @Suite struct ProbeCommandTests {
        private struct Outcome {
            var status: Int32
            var stdout: String
            var stderr: String
            var seconds: Double
            var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:] }
            var probe: [String: Any] { json["probe"] as? [String: Any] ?? [:] }
            var camera: [String: Any] { json["camera"] as? [String: Any] ?? [:] }
        }

        private func probe(_ arguments: [String], within limit: Duration = .seconds(60)) async throws -> Outcome {
            let began = ContinuousClock.now
            let process = try TestProcess(ApplianceHarness.binary, ["probe"] + arguments, name: "probe")
            let status = try await process.waitForExit(within: limit)
            let lines = try await process.allLines(within: .seconds(10))
            return Outcome(
                status: status, stdout: lines.joined(separator: "\n"), stderr: process.stderr, seconds: (ContinuousClock.now - began).seconds)
        }

        @Test(.timeLimit(.minutes(3))) func rtspMeasuredAndItsPasswordNeverPrinted() async throws {
            let rtsp = try await RTSPServer(mounts: ["/cam0"], size: "320x180", rate: 10)
            let secret = "pr0be-s3cret-\(UUID().uuidString.prefix(6))"
            let url = rtsp.url("/cam0").replacingOccurrences(of: "rtsp://", with: "rtsp://admin:\(secret)@")
            let result = try await probe([url, "--json", "--duration", "3", "--timeout", "10"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
            #expect(result.probe["codec"] as? String == "h264")
            #expect(result.probe["width"] as? Int == 320 && result.probe["height"] as? Int == 180)
            let fps = try #require(result.probe["measured_fps"] as? Double)
            #expect(fps > 8 && fps < 12.5, "\(fps)")
            // scripts/rtsp-server.py encodes a keyframe every 15 frames.
            #expect(result.probe["keyframe_interval_frames"] as? Double == 15)
            let interval = try #require(result.probe["keyframe_interval_s"] as? Double)
            #expect(abs(interval - 1.5) < 0.2, "\(interval)")
            #expect((result.probe["bitrate_bps"] as? Double ?? 0) > 10_000)
            // The entry is ready to paste: no password, a password file suggested instead.
            #expect(result.camera["url"] as? String == rtsp.url("/cam0").replacingOccurrences(of: "rtsp://", with: "rtsp://admin@"))
            #expect(result.camera["password_file"] as? String == "cam0.password" && result.camera["id"] as? String == "cam0")
            let entry = try JSONSerialization.data(withJSONObject: ["cameras": [result.camera.filter { $0.key != "password_file" }]])
            #expect(throws: Never.self) { try AppConfig.decode(entry, directory: "/nonexistent", environment: [:]) }
        }

        /// `rtsp_transport` reaches `avformat_open_input` and wins over capture's `tcp`: with UDP
        /// (and RTP) blacklisted, the default TCP transport still opens and `udp` cannot; libav
        /// refuses a value it does not know.
        @Test(.timeLimit(.minutes(3))) func rtspTransportIsTheConfiguredOne() async throws {
            let rtsp = try await RTSPServer(mounts: ["/cam0"], size: "320x180", rate: 10)
            let url = rtsp.url("/cam0")
            let noUDP = ["--option", "protocol_blacklist=udp,rtp"]
            let tcp = try await probe([url, "--json", "--duration", "1"] + noUDP)
            #expect(tcp.status == 0 && (tcp.probe["packets"] as? Int ?? 0) > 3, "\(tcp.stderr.suffix(2000))")
            let udpBlocked = try await probe([url, "--json", "--duration", "1", "--option", "rtsp_transport=udp"] + noUDP)
            #expect(udpBlocked.status == 1 && udpBlocked.stderr.contains("Protocol 'rtp' on blacklist"), "\(udpBlocked.stderr.suffix(2000))")
            let udp = try await probe([url, "--json", "--duration", "2", "--option", "rtsp_transport=udp"])
            #expect(udp.status == 0 && (udp.probe["packets"] as? Int ?? 0) > 5, "\(udp.stderr.suffix(2000))")
            let nonsense = try await probe([url, "--option", "rtsp_transport=nonsense"])
            #expect(nonsense.status == 1)
            #expect(nonsense.stderr.contains("Error setting option rtsp_transport") && nonsense.stderr.contains("Invalid argument"))
            // The configuration's own refusals apply to --option too (usage error).
            #expect(try await probe([url, "--option", "rtsp_flags=listen"]).status == 64)
        }

        @Test(.timeLimit(.minutes(2))) func fileAndTestPattern() async throws {
            let directory = NSTemporaryDirectory() + "ev-probe-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let clip = directory + "/clip.mp4"
            _ = try ApplianceHarness.run("/usr/bin/ffmpeg", [
                "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15:duration=4", "-c:v", "libx264", "-preset", "ultrafast",
                "-g", "10", "-keyint_min", "10", "-sc_threshold", "0", "-bf", "0", "-pix_fmt", "yuv420p", clip,
            ])
            let file = try await probe(["file://" + clip, "--json", "--duration", "2"])
            #expect(file.status == 0, "\(file.stderr)")
            #expect(file.probe["codec"] as? String == "h264" && file.probe["width"] as? Int == 320 && file.probe["height"] as? Int == 240)
            #expect(file.probe["keyframe_interval_frames"] as? Double == 10)
            #expect(abs((file.probe["measured_fps"] as? Double ?? 0) - 15) < 0.5)
            #expect(file.camera["url"] as? String == "file://" + clip && file.camera["id"] as? String == "clip")
            let pattern = try await probe(["testsrc:?size=640x360&rate=12"])
            #expect(pattern.status == 0 && pattern.stdout.contains("testsrc 640x360"), "\(pattern.stdout)")
        }

        /// A refused connection fails at once; a server that accepts and never answers fails
        /// within the timeout; exit 1 both times.
        @Test(.timeLimit(.minutes(2))) func deadSourcesFailWithinTheTimeout() async throws {
            let silent = try TestProcess(ApplianceHarness.python, ["-c", """
                import socket, sys, time
                s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
                print(s.getsockname()[1], flush=True)
                conns = []
                while True:
                    c, _ = s.accept(); conns.append(c)
                """], name: "silent server")
            let port = try #require(Int(try await first(silent.lines, within: .seconds(10), what: "port") { _ in true }))
            let silentResult = try await probe(["rtsp://admin:d34d-s3cret@127.0.0.1:\(port)/cam", "--timeout", "2"])
            #expect(silentResult.status == 1)
            #expect(silentResult.seconds < 6, "took \(silentResult.seconds) s")
            #expect(silentResult.stderr.contains("stall timeout") && !silentResult.stderr.contains("d34d-s3cret"), "\(silentResult.stderr)")
            let refused = try await probe(["rtsp://127.0.0.1:1/cam", "--timeout", "2"])
            #expect(refused.status == 1 && refused.seconds < 6 && refused.stderr.contains("open failed"), "\(refused.stderr)")
        }
    }
}
