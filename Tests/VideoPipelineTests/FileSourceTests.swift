import CFFmpeg
import Foundation
import Testing
@testable import VideoPipeline

@Suite("file:// sources and decode mode")
struct FileSourceTests {
    @Test(.timeLimit(.minutes(2)))
    func nonLoopingFileEndsNormallyWithEveryFrameEncoded() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.h264Clip(in: directory, seconds: 2)
        let config = PipelineConfiguration(url: "file://" + clip.path, fps: 5, loop: false, pacing: .unpaced)
        let pipeline = Pipeline(config, capacity: 100)
        try await pipeline.capture().run()
        let snapshot = pipeline.counters.snapshot()
        #expect(snapshot.packetsRead == 30)
        #expect(snapshot.framesCaptured == 10)
        #expect(snapshot.dropped == 0)
        let first = try await pipeline.captured.next()
        #expect(first.width == 320 && first.height == 240)
    }

    @Test(.timeLimit(.minutes(2)))
    func decodedPicturesAreScaledBeforeTheyAreQueued() async throws {
        // The capture queue must hold output-size frames of their own, never the decoder's
        // 640x360 pictures: those would pin the decoder's frame pool while they wait.
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.h264Clip(in: directory, seconds: 1, size: "640x360", rate: 10, gop: 10)
        let config = PipelineConfiguration(url: "file://" + clip.path, fps: 10, width: 160, height: 90, loop: false, pacing: .unpaced)
        let pipeline = Pipeline(config, capacity: 100)
        try await pipeline.capture().run()
        var frames: [CapturedFrame] = []
        while let frame = pipeline.captured.tryNext() { frames.append(frame) }
        #expect(frames.count == 10)
        for frame in frames {
            #expect(frame.width == 160 && frame.height == 90)
            // A 640x360 yuv420p picture is at least 345,600 bytes; a 160x90 one about 22,000.
            #expect(frame.byteCount > 0 && frame.byteCount < 640 * 360 * 3 / 8, "\(frame.byteCount) bytes queued")
            #expect(frame.picture.pointer.pointee.format == AV_PIX_FMT_YUV420P.rawValue)
            #expect(frame.picture.pointer.pointee.color_range == AVCOL_RANGE_JPEG)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func loopingFileKeepsGoingWithMonotonicTimestamps() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.h264Clip(in: directory, seconds: 1)
        let config = PipelineConfiguration(url: "file://" + clip.path, fps: 5, loop: true, pacing: .unpaced)
        let pipeline = Pipeline(config, capacity: 4)
        let times = try await withCapture(pipeline.capture()) { _ in
            var times: [Double] = []
            for _ in 0..<16 { times.append(try await pipeline.captured.next().sourceTime) }
            return times
        }
        // 1 s clip at 5 fps = 5 frames per pass: 16 frames span more than three passes.
        #expect(zip(times.dropFirst(), times).allSatisfy { $0 > $1 }, "times \(times)")
        #expect(times.last! > 3.0)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { abs($0 - 0.2) < 0.07 }, "gaps \(gaps)")
    }

    @Test(.timeLimit(.minutes(2)))
    func realTimePacingFollowsTheSourceClock() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.h264Clip(in: directory, seconds: 2)
        // Room for every frame: none is dropped, whenever the test gets to read them.
        let pipeline = Pipeline(PipelineConfiguration(url: "file://" + clip.path, fps: 5), capacity: 32)
        let frames = try await withCapture(pipeline.capture()) { _ in
            var frames: [CapturedFrame] = []
            for _ in 0..<11 { frames.append(try await pipeline.captured.next()) }
            return frames
        }
        // The capture time is taken when the paced source releases a frame; the first one sets the
        // clock's origin, and no later frame is released before its source time. Load only delays
        // releases (a larger spread), except the first one's: 0.4 s of slack for that. Unpaced, 11
        // frames of this clip come out within a few ms. When the test reads them does not matter.
        let first = try #require(frames.first), last = try #require(frames.last)
        let sourceSpread = last.sourceTime - first.sourceTime
        let wallSpread = Double(last.capturedAtMicros - first.capturedAtMicros) / 1e6
        #expect(abs(sourceSpread - 2.0) < 0.07, "10 gaps of 0.2 s of source time: \(sourceSpread)")
        #expect(wallSpread >= sourceSpread - 0.4, "released \(wallSpread) s apart for \(sourceSpread) s of video")
    }

    @Test(.timeLimit(.minutes(2)), arguments: [
        (gop: 15, fps: 1.0, mode: DecodeMode.keyframe),
        (gop: 15, fps: 0.5, mode: DecodeMode.keyframe),
        (gop: 15, fps: 5.0, mode: DecodeMode.all),
        (gop: 45, fps: 1.0, mode: DecodeMode.all),
    ])
    func keyframeModeIsChosenOnlyWhenTheSamplingIntervalCoversTheGOP(gop: Int, fps: Double, mode: DecodeMode) async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.h264Clip(in: directory, seconds: 12, gop: gop)
        let config = PipelineConfiguration(url: "file://" + clip.path, fps: fps, loop: false, pacing: .unpaced)
        let pipeline = Pipeline(config, capacity: 100)
        try await pipeline.capture().run()
        let snapshot = pipeline.counters.snapshot()
        #expect(snapshot.decodeMode == mode)
        #expect(snapshot.framesCaptured == Int64((12 * fps).rounded()), "captured \(snapshot.framesCaptured)")
        if mode == .keyframe {
            #expect(snapshot.framesDecoded < snapshot.packetsRead / 4)
        } else {
            // Every frame is decoded but, from the second GOP on (the keyframe interval is then
            // known), those after the GOP's last slot: nothing taken needs them.
            let step = Int(15 / fps), gops = 12 * 15 / gop
            let tail = (gop - 1) % step
            #expect(snapshot.framesDecoded == snapshot.packetsRead - Int64((gops - 1) * tail))
        }
    }
}
