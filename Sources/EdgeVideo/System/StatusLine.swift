/// The one-line `STATUS=` for systemd, e.g. "8/8 cameras running, 40 frames/s, 0 dropped in the
/// last minute": a pure value fed with counter samples, so its arithmetic is tested without time.
package struct StatusLine: Sendable {
    /// How often the appliance samples and sends the line.
    package static let interval: Duration = .seconds(5)
    /// The window of the frame rate, in seconds.
    package static let rateWindow = 10.0
    /// The window of the drop count, in seconds.
    package static let dropWindow = 60.0

    /// One camera's counters at a sample.
    package struct Camera: Sendable {
        /// It is in state `running`.
        package var running: Bool
        /// Frames delivered so far (confirmed by the broker).
        package var frames: Int
        /// Frames dropped so far.
        package var dropped: Int

        /// Creates a sample.
        package init(running: Bool, frames: Int, dropped: Int) {
            self.running = running
            self.frames = frames
            self.dropped = dropped
        }
    }

    private struct Sample {
        var time: Double
        var frames: Int
        var dropped: Int
    }

    /// Samples of the last ``dropWindow`` seconds, oldest first.
    private var samples: [Sample] = []

    /// Creates an empty line.
    package init() {}

    /// Records the counters at `time` (seconds on any monotonic clock) and returns the line.
    ///
    /// Totals that fall (a camera was removed) restart the windows rather than going negative.
    package mutating func record(at time: Double, cameras: [Camera]) -> String {
        let now = Sample(time: time, frames: cameras.reduce(0) { $0 + $1.frames }, dropped: cameras.reduce(0) { $0 + $1.dropped })
        if let last = samples.last, now.frames < last.frames || now.dropped < last.dropped { samples.removeAll() }
        samples.append(now)
        samples.removeAll { time - $0.time > Self.dropWindow }
        let rateBase = samples.first { time - $0.time <= Self.rateWindow } ?? now
        let span = time - rateBase.time
        let rate = span > 0 ? Double(now.frames - rateBase.frames) / span : 0
        let dropped = now.dropped - samples[0].dropped
        let running = cameras.filter(\.running).count
        return "\(running)/\(cameras.count) cameras running, \(Self.format(rate)) frames/s, \(dropped) dropped in the last minute"
    }

    /// Whole numbers from 10 up, one decimal below (`2.5`, `0`).
    static func format(_ rate: Double) -> String {
        let tenths = Int((rate * 10).rounded())
        return rate >= 10 || tenths % 10 == 0 ? "\(Int(rate.rounded()))" : "\(tenths / 10).\(tenths % 10)"
    }
}
