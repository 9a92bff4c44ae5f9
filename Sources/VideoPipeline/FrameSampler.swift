/// Picks frames at a target rate by their source timestamps (not by wall clock).
///
/// A pure value: feed it each frame's timestamp in seconds; it says whether to keep the frame.
/// Timestamps that jump backwards or far ahead (a loop, a discontinuity) restart the schedule.
struct FrameSampler: Sendable, Hashable {
    /// Seconds between kept frames.
    let interval: Double
    /// Slack for timestamps that land a hair early because of rational time bases.
    private let tolerance: Double
    private var nextDue: Double?

    init(fps: Double) {
        interval = 1 / fps
        tolerance = min(0.002, interval / 4)
    }

    /// Whether the frame at `time` (seconds) should be kept.
    /// - Parameter slack: how early a frame may be and still fill the slot (pass half the
    ///   keyframe interval when only keyframes are decoded).
    mutating func shouldKeep(time: Double, slack: Double = 0) -> Bool {
        guard let due = slot(onScheduleWith: time) else {
            nextDue = time + interval
            return true
        }
        guard time + max(tolerance, slack) >= due else { return false }
        // Stay on the schedule; if the source skipped past slots, restart from this frame.
        let next = due + interval
        nextDue = next + tolerance > time ? next : time + interval
        return true
    }

    /// Whether a frame at `time` (seconds) is sure not to be kept: it is on the current schedule
    /// (it would not restart it) and comes before the next slot, however many frames come
    /// between it and the last one offered, as long as timestamps only grow.
    ///
    /// A frame this holds for may go undecoded, if no other frame refers to it.
    /// - Parameter late: how long after the slot a frame still counts as before it (in keyframe
    ///   mode, while a keyframe may still come to fill the slot).
    func willDrop(time: Double, late: Double = 0) -> Bool {
        guard let due = slot(onScheduleWith: time) else { return false }
        return time + tolerance < due + late
    }

    /// The next slot, if a frame at `time` keeps to the current schedule; `nil` when there is
    /// none yet, or when `time` jumped backwards or far ahead and would restart it.
    private func slot(onScheduleWith time: Double) -> Double? {
        guard let due = nextDue, time >= due - interval - 1, time <= due + 10 * interval + 5 else { return nil }
        return due
    }
}

/// Chooses between decoding every frame and decoding keyframes only.
///
/// Fed with the timestamp of each keyframe packet; when the sampling interval is at least the
/// measured keyframe interval (two consecutive intervals agree), only keyframes are needed.
/// Decisions are taken at keyframes, so the decoder never misses a reference frame.
struct DecodeModeSelector: Sendable, Hashable {
    let samplingInterval: Double
    private(set) var mode: DecodeMode = .unknown
    /// The last measured keyframe interval, seconds.
    private(set) var keyframeInterval: Double?
    private var lastKeyTime: Double?
    private var lastInterval: Double?

    /// When the next keyframe is due, seconds, if the stream keeps to its last measured interval.
    var nextKeyframe: Double? {
        guard let lastKeyTime, let keyframeInterval else { return nil }
        return lastKeyTime + keyframeInterval
    }

    init(fps: Double) {
        samplingInterval = 1 / fps
    }

    /// Notes a keyframe at `time` (seconds) and returns the mode to use from this keyframe on.
    mutating func keyframe(at time: Double) -> DecodeMode {
        defer { lastKeyTime = time }
        guard let last = lastKeyTime else { return mode }
        let interval = time - last
        guard interval > 0 else { return mode }
        defer { lastInterval = interval }
        keyframeInterval = interval
        let gop = max(interval, lastInterval ?? interval)
        let keyframesSuffice = samplingInterval >= gop * 0.98
        if keyframesSuffice {
            // Switch to keyframe-only once two intervals agree; leave it as soon as one is too long.
            if mode == .keyframe || lastInterval != nil { mode = .keyframe } else { mode = .all }
        } else {
            mode = .all
        }
        return mode
    }
}
