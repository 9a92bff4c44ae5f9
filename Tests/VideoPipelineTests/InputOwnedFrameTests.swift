import Testing

@testable import VideoPipeline

/// Frames whose memory the input owns (V4L2's mmap'd buffers) must not outlive it in the queue.
/// scripts/asan.sh runs this under AddressSanitizer, where a frame that still pointed into the
/// released buffer is a heap-use-after-free report; without ASan it would read the poison.
@Suite struct InputOwnedFrameTests {
    @Test(.timeLimit(.minutes(1))) func framesQueuedWhenTheInputClosesKeepTheirPixels() throws {
        let configuration = PipelineConfiguration(url: "testsrc:", fps: 10, width: 64, height: 48, pacing: .unpaced)
        let queue = FrameQueue<CapturedFrame>(capacity: 8)
        var sink = CaptureSink(
            configuration: configuration, control: CaptureControl(stallTimeout: .seconds(10)), queue: queue,
            counters: PipelineCounters())
        let source = InputOwnedTestSource(count: 3)
        // Emits three frames, then closes: the buffer they were read from is poisoned and freed.
        try source.run(&sink)
        #expect(queue.count == 3)

        let session = try JPEGSession(configuration: configuration)
        // The frames were scaled on the way in (same size here), and so expanded to full range.
        let expected = RangeExpansion.Plane.luma.expand(InputOwnedTestSource.luma)
        #expect(expected != RangeExpansion.Plane.luma.expand(InputOwnedTestSource.poison))
        while let frame = queue.tryNext() {
            try withExtendedLifetime(frame) {
                let picture = frame.picture.pointer
                #expect(picture.pointee.buf.0 != nil)
                let luma = try #require(picture.plane(0))
                let lineSize = picture.lineSize(0)
                var wrong = 0
                for y in 0..<source.height {
                    for x in 0..<source.width where luma[y * lineSize + x] != expected { wrong += 1 }
                }
                #expect(wrong == 0, "\(wrong) luma bytes changed after the input closed")
                let jpeg = try session.encode(picture)
                #expect(jpeg.width == source.width && jpeg.height == source.height)
            }
        }
    }
}
