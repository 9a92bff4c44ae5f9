import EdgeVideoTestSupport
import Foundation
import Testing
@testable import VideoPipeline

/// HTTP sources (MJPEG multipart and MPEG-TS) served by the real ffmpeg CLI.
@Suite("HTTP sources (ffmpeg -listen 1): MJPEG and MPEG-TS")
struct HTTPSourceTests {
    @Test(.timeLimit(.minutes(2)), arguments: [
        ["-c:v", "mjpeg", "-q:v", "5", "-f", "mpjpeg"],
        ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-f", "mpegts"],
    ])
    func framesArriveAndAKilledServerGivesAClearError(encoding: [String]) async throws {
        let port = try freePort()
        let server = try ExternalProcess("/usr/bin/ffmpeg", [
            "-v", "error", "-nostdin", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-pix_fmt", "yuv420p",
        ] + encoding + ["-listen", "1", "http://127.0.0.1:\(port)/x"])
        defer { server.terminate() }
        // -listen 1 serves one client: wait for the listening socket without connecting to it.
        try await eventually(within: .seconds(15), "ffmpeg listening on \(port)") { isListening(port: port) }

        let config = PipelineConfiguration(url: "http://127.0.0.1:\(port)/x", fps: 5, width: 160, height: 120, stallTimeout: .seconds(5))
        let pipeline = Pipeline(config)
        let task = Task { try await pipeline.capture(name: "http").run() }
        try await readFrames(1, from: pipeline, task)
        let frame = try await pipeline.captured.next()
        #expect(frame.width == 160 && frame.height == 120)  // scaled on the capture thread
        let jpeg = try pipeline.encoder().encode(frame, with: JPEGSession(configuration: config))
        #expect(JPEGInfo(jpeg.jpeg).map { [$0.width, $0.height] } == [160, 120])

        server.terminate()
        let (result, elapsed) = await measure { await task.result }
        guard case .failure(let error) = result else { throw TestFailure("capture ended without error") }
        let failure = try #require(error as? PipelineError, "\(error)")
        #expect([.endOfStream, .readFailed].contains(failure.code), "\(failure)")
        #expect(elapsed < .seconds(6), "\(elapsed)")
    }
}
