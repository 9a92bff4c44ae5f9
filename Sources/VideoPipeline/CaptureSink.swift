import CFFmpeg
import Foundation

/// What a frame source running on the capture thread needs: configuration, the stop/stall
/// control, and where sampled frames go.
struct CaptureSink: Sendable {
    let configuration: PipelineConfiguration
    let control: CaptureControl
    let queue: FrameQueue<CapturedFrame>
    let counters: PipelineCounters
    var sampler: FrameSampler

    /// The recorded stop reason as an error to throw, or `nil`.
    func stopError() -> (any Error)? {
        switch control.stopReason {
        case .none: return nil
        case .cancelled: return CancellationError()
        case .stalled: return stallError()
        }
    }

    func stallError() -> PipelineError {
        let seconds = Double(control.stallNanos) / 1e9
        return PipelineError(
            .stalled, "no frame from \(configuration.url) for \(String(format: "%.1f", seconds)) s (stall timeout)")
    }

    /// A failure of a libav call: the recorded stop reason if there is one (libav may report an
    /// interrupted call as invalid data), else `code` with the libav message.
    func failure(_ code: PipelineError.Code, _ what: String, _ rc: Int32) -> any Error {
        if let stop = stopError() { return stop }
        return PipelineError(code, "\(what): \(FFmpegCall.describe(rc))")
    }

    /// Throws the stop reason if a stop was requested or the stall deadline passed.
    func checkStop() throws {
        if control.shouldStop, let error = stopError() { throw error }
    }

    /// Samples the frame at `time` and, if kept, queues a new reference to it.
    mutating func offer(_ frame: UnsafePointer<AVFrame>, time: Double, slack: Double = 0) throws {
        guard sampler.shouldKeep(time: time, slack: slack) else { return }
        try emit(OwnedFrame(referencing: frame), time: time)
    }

    /// Queues `picture`, waiting for room instead of dropping when the source is unpaced.
    func emit(_ picture: OwnedFrame, time: Double) throws {
        if configuration.pacing == .unpaced {
            queue.waitForRoom { control.shouldStop }
            try checkStop()
        }
        let now = Self.wallClockMicros()
        let frame = CapturedFrame(picture: picture, capturedAtMicros: now, sourceTime: time)
        counters.frameCaptured(atMicros: now)
        if queue.push(frame) != nil {
            counters.frameDroppedBeforeEncode()
        }
    }

    /// Waits until the wall-clock moment of source time `time` (real-time pacing).
    /// - Parameter origin: monotonic nanoseconds of source time 0, set on first use.
    func pace(time: Double, origin: inout Int64?) throws {
        guard configuration.pacing == .realtime else { return }
        let now = CaptureControl.monotonicNanos()
        let start = origin ?? (now - Int64(time * 1e9))
        origin = start
        let target = start + Int64(time * 1e9)
        if target - now > 2_000_000_000 {
            // A timestamp jump (seek, discontinuity): restart the clock instead of sleeping long.
            origin = now - Int64(time * 1e9)
            return
        }
        if !control.sleep(untilMonotonic: target) {
            try checkStop()
        }
    }

    static func wallClockMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}
