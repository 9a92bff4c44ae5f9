import EdgeVideoTestSupport
import Foundation
import Supervision
import Testing
@testable import VideoPipeline

@Suite("Frames at the end of a GOP that nothing taken needs are not decoded")
struct GOPTailTests {
    // One case at a time: 120 side by side would starve other suites' real servers of the two CPUs.
    @Test(.serialized, .timeLimit(.minutes(5)), arguments: 0..<120)
    func sampledFramesAreThoseOfAFullDecodeWhateverTheStream(seed: Int) async throws {
        // A generated stream: codec, frame rate, GOP or irregular keyframes, B-frames, open or
        // closed GOPs, and a sampling rate. Every frame is taken at the stream's own rate, so
        // nothing is held back or skipped: that run is the reference. At the lower rate, the
        // sampler must take the same timestamps with the same pictures, wherever packets were held
        // back, dropped at an IDR picture, or decoded late because no IDR picture came.
        var random = SplitMix64(seed: 0x6F70_7461_696C + UInt64(seed))
        var shape = Fixtures.ClipShape()
        shape.codec = [.h264, .h264, .h264, .hevc, .mpeg4][random.below(5)]
        shape.rate = [10, 15, 25][random.below(3)]
        shape.seconds = 4
        if random.below(3) == 0 {
            // Keyframes at irregular times, so the next one is often not where it was expected.
            var time = 0.0
            while time < Double(shape.seconds) {
                shape.keyframes.append(time)
                time += 0.2 + Double(random.below(1000)) / 1000 * 1.3
            }
        } else {
            shape.gop = 4 + random.below(30)
        }
        shape.bFrames = random.below(3)
        shape.openGOP = shape.codec != .mpeg4 && shape.bFrames > 0 && random.below(2) == 0
        let fps = Double(shape.rate) / [1.5, 2, 3, 4, 5, 7.5, 12][random.below(7)]

        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.clip(in: directory, shape)
        let (all, full) = try await NonReferenceSkipTests.capture(clip, fps: Double(shape.rate))
        #expect(full.framesDecoded == full.packetsRead, "\(shape): the reference run skipped frames")
        #expect(all.count == shape.seconds * shape.rate, "\(shape)")

        let (sampled, _) = try await NonReferenceSkipTests.capture(clip, fps: fps)
        var sampler = FrameSampler(fps: fps)
        let expected = all.filter { sampler.shouldKeep(time: $0.sourceTime) }.map(\.sourceTime)
        let taken = sampled.map(\.sourceTime)
        let gops = shape.keyframes.isEmpty
            ? [Double(shape.gop) / Double(shape.rate)] : zip(shape.keyframes.dropFirst(), shape.keyframes).map { $0 - $1 }
        if 1 / fps < (gops.min() ?? 0) * 0.98 {
            // Keyframes never suffice: the sampler's choice from every frame is the one.
            #expect(taken == expected, "\(shape) at \(fps) fps")
        } else {
            // Keyframe mode may fill the slots with keyframes, up to half a keyframe interval early
            // (or, when the keyframe is late, other frames as late): every slot is filled so.
            let slack = (gops.max() ?? 0) / 2 + 0.5 / Double(shape.rate)
            #expect(abs(taken.count - expected.count) <= 1, "\(shape) at \(fps) fps: took \(taken), a full decode \(expected)")
            for slot in expected where !taken.contains(where: { abs($0 - slot) <= slack }) {
                Issue.record("\(shape) at \(fps) fps: no frame for the slot at \(slot) s; took \(taken)")
            }
        }
        let reference = Dictionary(all.map { ($0.sourceTime, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(!sampled.isEmpty)
        for frame in sampled {
            guard let same = reference[frame.sourceTime] else {
                Issue.record("\(shape) at \(fps) fps: a frame at \(frame.sourceTime) s, which a full decode has not")
                continue
            }
            #expect(
                NonReferenceSkipTests.pixels(frame) == NonReferenceSkipTests.pixels(same),
                "\(shape) at \(fps) fps: the picture at \(frame.sourceTime) s differs from the full decode's")
        }
    }

    @Test(.timeLimit(.minutes(2)), arguments: [Fixtures.ClipShape.Codec.h264, .hevc])
    func referenceFramesAfterTheLastTakenAreLeftUndecodedBeforeAnIDRPicture(codec: Fixtures.ClipShape.Codec) async throws {
        // GOP 15 at 15 fps, no B-frames, closed GOPs: every picture is a reference and every
        // keyframe an IDR picture. At 5 fps the sampler takes frames 0, 3, 6, 9 and 12 of each GOP;
        // 13 and 14 are needed by nothing taken. The keyframe interval is known from the second
        // keyframe on, so they are held back in GOPs 2, 3 and 4 (the last one's until the end of
        // the file): 60 packets, 54 pictures decoded.
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.clip(in: directory, .init(codec: codec))
        let (frames, snapshot) = try await NonReferenceSkipTests.capture(clip, fps: 5)
        #expect(frames.count == 20)
        #expect(snapshot.decodeMode == .all)
        #expect(snapshot.packetsRead == 60)
        #expect(snapshot.framesDecoded == 54)
    }

    @Test(.serialized, .timeLimit(.minutes(3)), arguments: [0.2, 0.1])
    func gopsLongerThanThePacketLimitGiveTheSamePictures(fps: Double) async throws {
        // 60 fps, a keyframe every 10 s: more frames follow a GOP's last slot than may be held
        // (DeferredPackets.limit). At 0.2 fps, after the slots at 15 and 25 s, 599 frames come
        // before the next keyframe: the first 512 are held, then all are decoded. At 0.1 fps
        // keyframe mode starts at the third keyframe, and holds the GOP's other frames until the
        // limit, then drops them as it did before it held any.
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let shape = Fixtures.ClipShape(size: "64x48", seconds: 30, rate: 60, gop: 600)
        let clip = try Fixtures.clip(in: directory, shape)
        let (all, _) = try await NonReferenceSkipTests.capture(clip, fps: 60, capacity: 1_900)
        #expect(all.count == 1_800)
        let (sampled, snapshot) = try await NonReferenceSkipTests.capture(clip, fps: fps)
        var sampler = FrameSampler(fps: fps)
        let expected = all.filter { sampler.shouldKeep(time: $0.sourceTime) }
        #expect(sampled.map(\.sourceTime) == expected.map(\.sourceTime))
        for (frame, reference) in zip(sampled, expected) {
            #expect(
                NonReferenceSkipTests.pixels(frame) == NonReferenceSkipTests.pixels(reference),
                "the picture at \(frame.sourceTime) s differs from the full decode's")
        }
        #expect(snapshot.decodeMode == (fps == 0.1 ? .keyframe : .all))
        #expect(snapshot.framesDecoded < snapshot.packetsRead)
    }

    @Test(.timeLimit(.minutes(2)))
    func everyFrameIsDecodedWhenKeyframesAreNotIDRPictures() async throws {
        // The same stream with open GOPs in HEVC: keyframes are CRA pictures, which the pictures
        // after them may refer past. Nothing before one can be dropped: every packet is decoded
        // (late, if it was held back), but for the last GOP's frames 13 and 14, which nothing
        // follows at the end of the file.
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.clip(in: directory, .init(codec: .hevc, openGOP: true))
        let (frames, snapshot) = try await NonReferenceSkipTests.capture(clip, fps: 5)
        #expect(frames.count == 20)
        #expect(snapshot.packetsRead == 60)
        #expect(snapshot.framesDecoded == 58)
    }
}
