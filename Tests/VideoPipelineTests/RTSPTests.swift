import Durations
import EdgeVideoTestSupport
import Foundation
import Testing
@testable import VideoPipeline

/// Against a real gst-rtsp-server (scripts/rtsp-server.py) started by each test.
@Suite("RTSP source (real server)")
struct RTSPTests {
    @Test(.timeLimit(.minutes(2)))
    func framesArriveFromEveryMount() async throws {
        let (server, base) = try await Fixtures.rtspServer(mounts: ["/cam0", "/cam1"])
        defer { server.terminate() }
        for mount in ["/cam0", "/cam1"] {
            let pipeline = Pipeline(PipelineConfiguration(url: base + mount, fps: 5))
            let encoded = try await withCapture(pipeline.capture()) { task in
                try await readFrames(1, from: pipeline, task)
                let frame = try await pipeline.captured.next()
                return try pipeline.encoder().encode(frame, with: JPEGSession(configuration: pipeline.configuration))
            }
            #expect(JPEGInfo(encoded.jpeg).map { [$0.width, $0.height] } == [320, 240])
            #expect(pipeline.counters.snapshot().packetsRead > 0)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func framesAtTheEndOfAGOPAreLeftUndecodedOnALiveStream() async throws {
        // 15 fps, a keyframe (an IDR picture, sent with start codes) every 15 frames, sampled at
        // 5 fps: after the GOP's last slot, one or two frames (by the sampler's phase) are needed
        // by nothing taken, from the second keyframe on. No more than those go undecoded.
        let (server, base) = try await Fixtures.rtspServer(gop: 15)
        defer { server.terminate() }
        let pipeline = Pipeline(PipelineConfiguration(url: base + "/cam0", fps: 5), capacity: 64)
        let snapshot = try await withCapture(pipeline.capture()) { task in
            try await readFrames(25, from: pipeline, task)
            return pipeline.counters.snapshot()
        }
        let undecoded = snapshot.packetsRead - snapshot.framesDecoded
        let gops = snapshot.packetsRead / 15 + 1
        #expect(undecoded >= 1, "\(snapshot.packetsRead) packets, every one decoded")
        #expect(undecoded <= 2 * gops, "\(undecoded) of \(snapshot.packetsRead) packets undecoded")
    }

    @Test(.timeLimit(.minutes(2)))
    func frozenServerStallsWithinTheTimeoutPlusOneSecond() async throws {
        let (server, base) = try await Fixtures.rtspServer()
        defer { server.terminate() }
        let stall = Duration.seconds(2)
        let pipeline = Pipeline(PipelineConfiguration(url: base + "/cam0", fps: 5, stallTimeout: stall))
        let task = Task { try await pipeline.capture(name: "frozen").run() }
        try await readFrames(2, from: pipeline, task)
        server.send(SIGSTOP)
        let (result, elapsed) = await measure { await task.result }
        server.send(SIGCONT)
        guard case .failure(let error) = result else { throw TestFailure("capture ended without error") }
        let failure = try #require(error as? PipelineError)
        #expect(failure.code == .stalled)
        #expect(failure.message.contains("stall"))
        #expect(elapsed < stall + .seconds(1), "stall surfaced after \(elapsed)")
    }

    @Test(.timeLimit(.minutes(2)))
    func cancellingWhileTheServerIsFrozenReturnsWithinOneSecond() async throws {
        let (server, base) = try await Fixtures.rtspServer()
        defer { server.terminate() }
        let pipeline = Pipeline(PipelineConfiguration(url: base + "/cam0", fps: 5, stallTimeout: .seconds(30)))
        let task = Task { try await pipeline.capture(name: "cancel").run() }
        try await readFrames(2, from: pipeline, task)
        server.send(SIGSTOP)
        // Let the capture block in a read on the frozen socket: wait until the last frame is old.
        let frozenAt = pipeline.counters.snapshot().lastFrameAtMicros ?? 0
        try await eventually(within: .seconds(10), "the last frame 1.5 s old") {
            wallClockMicros() - frozenAt > 1_500_000
        }
        let (result, elapsed) = await measure {
            task.cancel()
            return await task.result
        }
        server.send(SIGCONT)
        #expect(elapsed < .seconds(1), "cancellation took \(elapsed)")
        guard case .failure(let error) = result else { throw TestFailure("capture ended without error") }
        #expect(error is CancellationError)
    }

    @Test(.timeLimit(.minutes(2)))
    func cancellingDuringTheHandshakeWithAFrozenServerReturnsWithinOneSecond() async throws {
        let (server, base) = try await Fixtures.rtspServer()
        defer { server.terminate() }
        server.send(SIGSTOP)
        let pipeline = Pipeline(PipelineConfiguration(url: base + "/cam0", fps: 5, stallTimeout: .seconds(30)))
        let task = Task { try await pipeline.capture(name: "handshake").run() }
        // The kernel still accepts the TCP connection; the RTSP answer never comes.
        try await eventually(within: .seconds(10), "the capture thread in its handshake") { threads(named: "cap-handshake") == 1 }
        let (result, elapsed) = await measure {
            task.cancel()
            return await task.result
        }
        server.send(SIGCONT)
        #expect(elapsed < .seconds(1), "cancellation took \(elapsed)")
        #expect(throws: CancellationError.self) { try result.get() }
    }

    @Test(.timeLimit(.minutes(2)))
    func killedServerGivesAClearError() async throws {
        let (server, base) = try await Fixtures.rtspServer()
        let pipeline = Pipeline(PipelineConfiguration(url: base + "/cam0", fps: 5, stallTimeout: .seconds(10)))
        let task = Task { try await pipeline.capture(name: "killed").run() }
        try await readFrames(2, from: pipeline, task)
        server.terminate()
        let (result, elapsed) = await measure { await task.result }
        guard case .failure(let error) = result else { throw TestFailure("capture ended without error") }
        let failure = try #require(error as? PipelineError, "\(error)")
        #expect([.endOfStream, .readFailed].contains(failure.code), "\(failure)")
        #expect(elapsed < .seconds(5), "\(elapsed)")
    }
}
