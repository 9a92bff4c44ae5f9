import Testing
@testable import VideoPipeline

@Suite("testsrc: source")
struct TestPatternTests {
    @Test(.timeLimit(.minutes(1)))
    func producesValidJPEGsOfTheSourceSizeWithIncreasingSeq() async throws {
        let pipeline = Pipeline(PipelineConfiguration(url: "testsrc:?size=320x240&rate=15", fps: 5), firstSeq: 41)
        let frames = try await withCapture(pipeline.capture()) { _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pipeline.encoder().run() }
                defer { group.cancelAll() }
                var frames: [EncodedFrame] = []
                for _ in 0..<3 { frames.append(try await pipeline.encoded.next()) }
                return frames
            }
        }
        for frame in frames {
            #expect(JPEGInfo(frame.jpeg).map { [$0.width, $0.height] } == [320, 240])
            #expect(frame.width == 320 && frame.height == 240)
            #expect(frame.capturedAtMicros > 1_700_000_000_000_000)
        }
        #expect(frames.map(\.seq) == [41, 42, 43])
        #expect(frames[1].capturedAtMicros > frames[0].capturedAtMicros)
        let counters = pipeline.counters.snapshot()
        #expect(counters.framesEncoded >= 3)
        #expect(counters.lastFrameAtMicros != nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func scalesToTheConfiguredSize() async throws {
        let config = PipelineConfiguration(url: "testsrc:?size=640x480&rate=10", fps: 10, width: 160, height: 120, quality: 20)
        let pipeline = Pipeline(config)
        let frame = try await withCapture(pipeline.capture()) { _ in
            let captured = try await pipeline.captured.next()
            #expect(captured.width == 160 && captured.height == 120)
            let session = try JPEGSession(configuration: config)
            return try pipeline.encoder().encode(captured, with: session)
        }
        #expect(JPEGInfo(frame.jpeg).map { [$0.width, $0.height] } == [160, 120])
        #expect(frame.width == 160 && frame.height == 120)
    }

    @Test(.timeLimit(.minutes(1)))
    func samplesAtTheConfiguredFpsOnTheSourceClock() async throws {
        // Unpaced: the source clock runs as fast as the consumer; the spacing must still be 1/fps.
        let config = PipelineConfiguration(url: "testsrc:?size=64x48&rate=30", fps: 4, pacing: .unpaced)
        let pipeline = Pipeline(config, capacity: 2)
        let times = try await withCapture(pipeline.capture()) { _ in
            var times: [Double] = []
            for _ in 0..<9 { times.append(try await pipeline.captured.next().sourceTime) }
            return times
        }
        // Frames exist every 1/30 s, so each gap is 0.25 s rounded to a source frame, and the
        // schedule does not drift: 8 gaps span exactly 2 s of source time.
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { abs($0 - 0.25) <= 1.0 / 30 + 1e-9 }, "gaps \(gaps)")
        #expect(abs(times[8] - times[0] - 2.0) < 1e-9, "times \(times)")
        #expect(pipeline.counters.snapshot().dropped == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func aFullQueueDropsTheOldestAndCountsIt() async throws {
        // Real-time paced at 30 fps with nobody consuming: the queue of 2 must overflow.
        let pipeline = Pipeline(PipelineConfiguration(url: "testsrc:?size=64x48&rate=30", fps: 30), capacity: 2)
        try await withCapture(pipeline.capture()) { _ in
            try await within(.seconds(20), "3 frames dropped") {
                try await pipeline.captured.wait(until: .dropped(atLeast: 3))
            }
        }
        // The capture has ended (withCapture joined it): its counters and the queue are at rest.
        let snapshot = pipeline.counters.snapshot()
        #expect(snapshot.dropped >= 3)
        #expect(pipeline.captured.count == 2)
        // Read once the capture has stopped: it may drop more between `snapshot` and its stop.
        #expect(Int64(pipeline.captured.dropped) == pipeline.counters.snapshot().dropped)
        // The two newest frames are kept.
        let first = try await pipeline.captured.next(), second = try await pipeline.captured.next()
        #expect(second.sourceTime > first.sourceTime)
        #expect(first.sourceTime >= Double(snapshot.dropped) / 30 - 1e-9)
    }

    @Test(.timeLimit(.minutes(1)))
    func aByteLimitedQueueHoldsOnlyTheDecodedFramesThatFit() async throws {
        // 640x360 pictures with no output size set (so queued at 640x360, at least 345,600 bytes
        // each), paced at 30 fps with nobody consuming, into a queue of 8 frames and 1 MiB: it
        // overflows by bytes, long before 8 frames.
        let config = PipelineConfiguration(url: "testsrc:?size=640x360&rate=30", fps: 30)
        let queue = FrameQueue<CapturedFrame>(capacity: 8, byteLimit: 1 << 20, cost: { $0.byteCount })
        let counters = PipelineCounters()
        try await withCapture(Capture(configuration: config, output: queue, counters: counters, name: "bytes")) { _ in
            try await within(.seconds(20), "3 frames dropped") { try await queue.wait(until: .dropped(atLeast: 3)) }
        }
        let snapshot = counters.snapshot()
        #expect(snapshot.dropped >= 3)
        // Read once the capture has stopped: it may drop more between `snapshot` and its stop.
        #expect(Int64(queue.dropped) == counters.snapshot().dropped)
        var frames: [CapturedFrame] = []
        while let frame = queue.tryNext() { frames.append(frame) }
        let size = try #require(frames.first).byteCount
        #expect(size >= 640 * 360 * 3 / 2)
        #expect(frames.allSatisfy { $0.byteCount == size })
        #expect(frames.count == (1 << 20) / size, "\(frames.count) frames of \(size) bytes")
        // The newest are kept, in order.
        #expect(zip(frames.dropFirst(), frames).allSatisfy { $0.sourceTime > $1.sourceTime })
    }
}
