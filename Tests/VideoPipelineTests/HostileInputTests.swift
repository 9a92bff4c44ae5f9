import Foundation
import Testing
@testable import VideoPipeline

/// Cameras that misbehave: garbage instead of video, 8K frames, a resolution that changes
/// mid-stream, frames the JPEG encoder cannot take. Each ends in a clear ``PipelineError`` or is
/// handled; none crashes, and memory stays bounded by the queues.
@Suite("Hostile inputs", .serialized)
struct HostileInputTests {
    /// This process's resident memory, in MiB (`VmRSS`).
    static func residentMiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }

    /// A TCP "camera" that answers every connection with `header` then random bytes, 2 MB/s.
    private func garbageServer(header: String) async throws -> (ExternalProcess, Int) {
        let script = """
            import os, socket, sys, threading, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', 0)); s.listen(8)
            print('READY', s.getsockname()[1], flush=True)
            def serve(c):
                try:
                    c.recv(4096)
                    c.sendall(sys.argv[1].encode().decode('unicode_escape').encode('latin-1'))
                    while True:
                        c.sendall(os.urandom(65536)); time.sleep(0.03)
                except OSError:
                    pass
            while True:
                c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
            """
        let server = try ExternalProcess("/usr/bin/python3", ["-c", script, header])
        return (server, try await server.waitForReadyPort())
    }

    /// Runs capture and encoder on `url` until the capture ends or `limit` passes.
    private func run(_ url: String, stall: Duration = .seconds(3), limit: Duration = .seconds(20)) async -> (Result<Void, any Error>, PipelineCounters.Snapshot) {
        let pipeline = Pipeline(PipelineConfiguration(url: url, fps: 5, width: 160, height: 90, stallTimeout: stall, loop: false))
        let capture = Task { try await pipeline.capture(name: "hostile").run() }
        let encoder = Task { try await pipeline.encoder(name: "hostile").run() }
        let watchdog = Task {
            try await Task.sleep(for: limit)
            capture.cancel()
        }
        let result = await capture.result
        watchdog.cancel()
        encoder.cancel()
        _ = await encoder.result
        return (result, pipeline.counters.snapshot())
    }

    @Test(.timeLimit(.minutes(2)), arguments: [
        ("http", "HTTP/1.0 200 OK\\r\\nContent-Type: video/mp2t\\r\\n\\r\\n"),
        ("http", ""),
        ("rtsp", ""),
        ("rtsp", "RTSP/1.0 200 OK\\r\\nCSeq: 1\\r\\n\\r\\n"),
    ])
    func aCameraThatSendsGarbageGivesAClearError(scheme: String, header: String) async throws {
        let (server, port) = try await garbageServer(header: header)
        defer { server.terminate() }
        let before = Self.residentMiB()
        let ((result, counters), elapsed) = await measure { await run("\(scheme)://user:s3cret@127.0.0.1:\(port)/cam") }
        let grown = Self.residentMiB() - before
        print("garbage \(scheme) (header \(!header.isEmpty)): \(result), \(elapsed), frames \(counters.framesCaptured), RSS +\(grown) MiB")
        guard case .failure(let error) = result else {
            Issue.record("capture of garbage ended without an error")
            return
        }
        let failure = try #require(error as? PipelineError, "\(error)")
        #expect([.openFailed, .noVideoStream, .unsupportedCodec, .stalled, .readFailed, .endOfStream].contains(failure.code), "\(failure)")
        #expect(!failure.description.contains("s3cret"))
        #expect(elapsed < .seconds(15), "\(elapsed)")
        #expect(grown < 200, "resident memory grew \(grown) MiB")
    }

    @Test(.timeLimit(.minutes(2)))
    func aCorruptedStreamIsDecodedAroundOrFailsClearly() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clean = directory.appendingPathComponent("clean.ts")
        try Fixtures.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=3", "-c:v", "libx264", "-preset", "ultrafast",
            "-g", "10", "-bf", "0", clean.path,
        ])
        var bytes = [UInt8](try Data(contentsOf: clean))
        var random = SystemRandomNumberGenerator()
        for index in stride(from: 4096, to: bytes.count, by: 997) { bytes[index] = UInt8.random(in: 0...255, using: &random) }
        let corrupt = directory.appendingPathComponent("corrupt.ts")
        try Data(bytes).write(to: corrupt)
        let (result, counters) = await run("file://" + corrupt.path)
        print("corrupted stream: \(result), frames \(counters.framesCaptured), encoded \(counters.framesEncoded)")
        if case .failure(let error) = result { #expect(error is PipelineError, "\(error)") }
    }

    @Test(.timeLimit(.minutes(3)))
    func eightKFramesAreScaledAndEncoded() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = directory.appendingPathComponent("8k.mp4")
        try Fixtures.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=7680x4320:rate=2:duration=1", "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv420p", clip.path,
        ])
        let before = Self.residentMiB()
        for (width, height) in [(320, 180), (nil, nil)] as [(Int?, Int?)] {
            let config = PipelineConfiguration(
                url: "file://" + clip.path, fps: 2, width: width, height: height, loop: false, pacing: .unpaced)
            let pipeline = Pipeline(config, capacity: 2)
            let encoded = try await withCapture(pipeline.capture(name: "8k")) { task in
                try await readFrames(1, from: pipeline, task, timeout: .seconds(60))
                let frame = try await pipeline.captured.next()
                // Queued already scaled: an 8K picture never waits in the queue unless 8K is the output.
                #expect(frame.width == (width ?? 7680) && frame.height == (height ?? 4320))
                return try pipeline.encoder().encode(frame, with: JPEGSession(configuration: config))
            }
            #expect(encoded.width == (width ?? 7680) && encoded.height == (height ?? 4320))
            #expect(JPEGInfo(encoded.jpeg).map { [$0.width, $0.height] } == [width ?? 7680, height ?? 4320])
        }
        print("8K: resident memory grew \(Self.residentMiB() - before) MiB (queue capacity 2)")
    }

    @Test(.timeLimit(.minutes(2)))
    func aResolutionChangeMidStreamIsFollowed() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var joined = Data()
        // Two MPEG-TS segments, the second continuing the first's timestamps at another size, as a
        // camera whose resolution is changed while it streams.
        for (index, size) in ["320x240", "640x360"].enumerated() {
            let part = directory.appendingPathComponent("\(size).ts")
            try Fixtures.ffmpeg([
                "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=10:duration=1", "-c:v", "libx264", "-preset", "ultrafast",
                "-g", "5", "-bf", "0", "-output_ts_offset", "\(index)", part.path,
            ])
            joined.append(try Data(contentsOf: part))
        }
        let path = directory.appendingPathComponent("changing.ts").path
        try joined.write(to: URL(fileURLWithPath: path))
        for (width, height) in [(nil, nil), (160, 120)] as [(Int?, Int?)] {
            let config = PipelineConfiguration(url: "file://" + path, fps: 10, width: width, height: height, loop: false, pacing: .unpaced)
            let pipeline = Pipeline(config, capacity: 64)
            let capture = Task { try await pipeline.capture(name: "resize").run() }
            try await capture.value
            let session = try JPEGSession(configuration: config)
            var sizes: [[Int]] = []
            while let frame = pipeline.captured.tryNext() {
                let encoded = try pipeline.encoder().encode(frame, with: session)
                let info = try #require(JPEGInfo(encoded.jpeg))
                if sizes.last != [info.width, info.height] { sizes.append([info.width, info.height]) }
            }
            #expect(sizes == (width == nil ? [[320, 240], [640, 360]] : [[160, 120]]), "\(sizes)")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func timestampsCenturiesAheadArePassedOnUnpaced() async throws {
        // 2e10 s: in nanoseconds beyond Int64, which used to trap the real-time pacing.
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("far.mkv").path
        try Fixtures.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5:duration=1", "-c:v", "libx264", "-preset", "ultrafast",
            "-output_ts_offset", "20000000000", path,
        ])
        let pipeline = Pipeline(PipelineConfiguration(url: "file://" + path, fps: 5, loop: false), capacity: 16)
        try await Task { try await pipeline.capture(name: "far").run() }.value
        #expect(pipeline.counters.snapshot().framesCaptured == 5)
    }

    @Test func anFPSSmallEnoughToOverflowTheStallTimeoutIsRefusedWithoutATrap() {
        let config = PipelineConfiguration(url: "testsrc:", fps: 1e-300)
        #expect(config.effectiveStallTimeout == .seconds(3000))
        #expect(throws: PipelineError.self) { try config.validate() }
    }

    @Test(.timeLimit(.minutes(2)))
    func framesTooSmallToEncodeFailTheCaptureClearly() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A camera sending 1x1 grey frames: below the JPEG encoder's 2x2.
        let raw = directory.appendingPathComponent("raw")
        try Data(repeating: 128, count: 10).write(to: raw)
        let path = directory.appendingPathComponent("tiny.mkv").path
        try Fixtures.ffmpeg(["-f", "rawvideo", "-pix_fmt", "gray", "-video_size", "1x1", "-framerate", "5", "-i", raw.path, "-c:v", "ffv1", path])
        let config = PipelineConfiguration(url: "file://" + path, fps: 5, loop: false, pacing: .unpaced)
        let pipeline = Pipeline(config, capacity: 64)
        // The capture thread scales each kept frame to the output size, so it is the one to refuse.
        let result = await Task { try await pipeline.capture(name: "tiny").run() }.result
        guard case .failure(let error) = result, let failure = error as? PipelineError else {
            Issue.record("capture did not fail: \(result)")
            return
        }
        #expect(failure.code == .scaleFailed)
        #expect(failure.message.contains("1x1"), "\(failure)")
        let counters = pipeline.counters.snapshot()
        #expect(counters.framesDecoded > 0)
        #expect(counters.framesCaptured == 0 && pipeline.captured.count == 0)
    }
}
