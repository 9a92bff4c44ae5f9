import Testing
@testable import VideoPipeline

@Suite("Sampling and decode mode (pure logic, source clock)")
struct SamplingTests {
    @Test(.timeLimit(.minutes(1)))
    func keepsEveryThirdFrameAt5FpsFrom15() {
        var sampler = FrameSampler(fps: 5)
        let kept = (0..<45).filter { sampler.shouldKeep(time: Double($0) / 15) }
        #expect(kept == Array(stride(from: 0, to: 45, by: 3)))
    }

    @Test(.timeLimit(.minutes(1)))
    func keepsOneFrameEveryTwoSecondsBelowOneFps() {
        var sampler = FrameSampler(fps: 0.5)
        let kept = (0..<150).filter { sampler.shouldKeep(time: Double($0) / 15) }
        #expect(kept == [0, 30, 60, 90, 120])
    }

    @Test(.timeLimit(.minutes(1)))
    func sourceRateBelowTargetKeepsEveryFrame() {
        var sampler = FrameSampler(fps: 30)
        let kept = (0..<20).filter { sampler.shouldKeep(time: Double($0) / 10) }
        #expect(kept.count == 20)
    }

    @Test(.timeLimit(.minutes(1)))
    func timestampJumpBackwardsRestartsTheSchedule() {
        var sampler = FrameSampler(fps: 1)
        let kept = [100, 100.5, 3, 3.5, 4].map { sampler.shouldKeep(time: $0) }  // 3: a discontinuity
        #expect(kept == [true, false, true, false, true])
    }

    @Test(.timeLimit(.minutes(1)))
    func slackKeepsKeyframesThatArriveSlightlyEarly() {
        var sampler = FrameSampler(fps: 1)
        let keys = [0.0, 0.98, 1.96, 2.94, 3.92]
        #expect(keys.filter { sampler.shouldKeep(time: $0, slack: 0.49) }.count == 5)
    }

    @Test(.timeLimit(.minutes(1)))
    func keyframeModeWhenSamplingIntervalCoversTheGOP() {
        var selector = DecodeModeSelector(fps: 1)
        let modes = (0..<4).map { selector.keyframe(at: Double($0)) }
        #expect(modes == [.unknown, .all, .keyframe, .keyframe])
    }

    @Test(.timeLimit(.minutes(1)))
    func allFramesWhenSamplingFasterThanKeyframes() {
        var selector = DecodeModeSelector(fps: 5)
        let modes = (0..<4).map { selector.keyframe(at: Double($0)) }
        #expect(modes.last == .all)
        #expect(!modes.contains(.keyframe))
    }

    @Test(.timeLimit(.minutes(1)))
    func leavesKeyframeModeWhenTheGOPGrows() {
        var selector = DecodeModeSelector(fps: 1)
        for t in [0.0, 1, 2, 3] { _ = selector.keyframe(at: t) }
        #expect(selector.mode == .keyframe)
        #expect(selector.keyframe(at: 7) == .all)
    }
}

@Suite("Which frames the sampler will surely drop (pure logic)")
struct SamplerWillDropTests {
    @Test(.timeLimit(.minutes(1)))
    func nothingIsDroppedBeforeTheFirstFrame() {
        let sampler = FrameSampler(fps: 5)
        #expect(!sampler.willDrop(time: 0))
        #expect(!sampler.willDrop(time: 100))
    }

    @Test(.timeLimit(.minutes(1)))
    func framesBeforeTheNextSlotAreDroppedAndTheSlotItselfIsNot() {
        var sampler = FrameSampler(fps: 5)
        _ = sampler.shouldKeep(time: 0)
        #expect(sampler.willDrop(time: 1.0 / 15))
        #expect(sampler.willDrop(time: 2.0 / 15))
        #expect(!sampler.willDrop(time: 3.0 / 15))
        #expect(!sampler.willDrop(time: 0.199))  // within the tolerance of the slot
    }

    @Test(.timeLimit(.minutes(1)))
    func framesThatWouldRestartTheScheduleAreNotDropped() {
        var sampler = FrameSampler(fps: 5)
        _ = sampler.shouldKeep(time: 100)
        #expect(!sampler.willDrop(time: 3))  // a jump back
        #expect(!sampler.willDrop(time: 200))  // a jump ahead
    }

    @Test(.timeLimit(.minutes(1)), arguments: [0.5, 1, 2, 4, 5, 7.5, 10, 14, 15, 30])
    func aFrameSaidToBeDroppedIsNotKeptWhateverComesBetween(fps: Double) {
        // The decoder decides on a packet before the frames shown ahead of it have reached the
        // sampler (B-frames, frame threads): willDrop must hold however stale the sampler is.
        let times = (0..<90).map { Double($0) / 15 }
        for stale in 0..<times.count {
            var sampler = FrameSampler(fps: fps)
            for t in times[...stale] { _ = sampler.shouldKeep(time: t) }
            let then = sampler
            for (index, t) in times.enumerated().dropFirst(stale + 1) where then.willDrop(time: t) {
                var later = then
                for between in times[(stale + 1)..<index] { _ = later.shouldKeep(time: between) }
                let kept = later.shouldKeep(time: t)
                #expect(!kept, "\(fps) fps: frame \(index) after frame \(stale)")
            }
        }
    }
}
