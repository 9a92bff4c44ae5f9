import CFFmpeg
import Foundation
import Testing
@testable import VideoPipeline

@Suite("Non-reference frames the sampler will not take are not decoded")
struct NonReferenceSkipTests {
    /// Captures `clip` at `fps`, unpaced, to its end.
    /// - Returns: every sampled frame, in order, and the counters at the end.
    static func capture(
        _ clip: URL, fps: Double, capacity: Int = 200
    ) async throws -> ([CapturedFrame], PipelineCounters.Snapshot) {
        let config = PipelineConfiguration(url: "file://" + clip.path, fps: fps, loop: false, pacing: .unpaced)
        let pipeline = Pipeline(config, capacity: capacity)
        try await pipeline.capture().run()
        var frames: [CapturedFrame] = []
        while let frame = pipeline.captured.tryNext() { frames.append(frame) }
        return (frames, pipeline.counters.snapshot())
    }

    /// The visible bytes of a yuv420p frame's three planes, row by row (no line padding).
    static func pixels(_ frame: CapturedFrame) -> [UInt8] {
        let picture = frame.picture.pointer
        var bytes: [UInt8] = []
        for (index, shift) in [(0, 0), (1, 1), (2, 1)] {
            let width = frame.width >> shift, height = frame.height >> shift
            guard let plane = picture.plane(index) else { return [] }
            for row in 0..<height {
                bytes.append(contentsOf: UnsafeBufferPointer(start: plane + row * picture.lineSize(index), count: width))
            }
        }
        return bytes
    }

    @Test(.timeLimit(.minutes(2)), arguments: [5.0, 4.0, 2.0])
    func sampledFramesAreThoseOfAFullDecodePixelForPixel(fps: Double) async throws {
        // At 15 fps every frame is taken, so nothing is skipped: that run is the reference. At a
        // lower rate the sampler must take the same timestamps from it, with the same pictures,
        // whether a taken frame is a B-frame (at 4 and 2 fps some are) or one others refer to.
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.h264Clip(in: directory, seconds: 4, bFrames: 2)
        let (all, full) = try await Self.capture(clip, fps: 15)
        #expect(all.count == 60)
        #expect(full.framesDecoded == full.packetsRead)

        var sampler = FrameSampler(fps: fps)
        let expected = all.filter { sampler.shouldKeep(time: $0.sourceTime) }
        let (sampled, snapshot) = try await Self.capture(clip, fps: fps)
        #expect(sampled.map(\.sourceTime) == expected.map(\.sourceTime))
        for (frame, reference) in zip(sampled, expected) {
            let same = Self.pixels(frame) == Self.pixels(reference)
            #expect(same, "the picture at \(frame.sourceTime) s differs from the full decode's")
        }
        #expect(snapshot.framesDecoded < snapshot.packetsRead, "no frame was skipped")
    }

    @Test(.timeLimit(.minutes(2)))
    func onlyReferenceFramesAreDecodedWhenTheSamplerTakesNoBFrame() async throws {
        // GOP 15 with two B-frames between references: I B B P B B P B B P B B P B P. At 5 fps the
        // sampler takes frames 0, 3, 6, 9 and 12 of each GOP, all references, so the nine B-frames
        // of each GOP go undecoded: 4 GOPs, 60 packets, 24 pictures decoded.
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.h264Clip(in: directory, seconds: 4, bFrames: 2)
        let (frames, snapshot) = try await Self.capture(clip, fps: 5)
        #expect(frames.count == 20)
        #expect(snapshot.decodeMode == .all)
        #expect(snapshot.packetsRead == 60)
        #expect(snapshot.framesDecoded == 24)
    }
}
