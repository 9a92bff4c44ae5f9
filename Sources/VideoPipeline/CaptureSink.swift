import CFFmpeg
import Durations
import Foundation

/// What a frame source running on the capture thread needs: configuration, the stop/stall
/// control, the sampler, the scaler, and where sampled frames go.
///
/// Made and used on the capture thread only (the scaler is not thread-safe).
struct CaptureSink {
    let configuration: PipelineConfiguration
    let control: CaptureControl
    let queue: FrameQueue<CapturedFrame>
    let counters: PipelineCounters
    var sampler: FrameSampler
    /// Scales each kept frame to the output size into a frame of its own, so the queue never holds
    /// the decoder's pictures nor memory the input owns (V4L2's mmap'd driver buffers, unmapped
    /// when the input closes).
    let scaler: FrameScaler

    init(
        configuration: PipelineConfiguration, control: CaptureControl, queue: FrameQueue<CapturedFrame>,
        counters: PipelineCounters
    ) {
        self.configuration = configuration
        self.control = control
        self.queue = queue
        self.counters = counters
        sampler = FrameSampler(fps: configuration.fps)
        scaler = FrameScaler(configuration: configuration)
    }

    /// The recorded stop reason as an error to throw, or `nil`.
    func stopError() -> (any Error)? {
        switch control.stopReason {
        case .none: return nil
        case .cancelled: return CancellationError()
        case .stalled: return stallError()
        }
    }

    func stallError() -> PipelineError {
        let seconds = Duration.nanoseconds(control.stallNanos).seconds
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

    /// Samples the frame at `time` and, if kept, queues it scaled (``emit(_:time:)``).
    mutating func offer(_ frame: UnsafePointer<AVFrame>, time: Double, slack: Double = 0) throws {
        guard sampler.shouldKeep(time: time, slack: slack) else { return }
        try emit(frame, time: time)
    }

    /// Scales `source` to the output size and queues the result, waiting for room instead of
    /// dropping when the source is unpaced. The queued frame has buffers of its own: `source` can
    /// go back to the decoder (or the input) as soon as this returns, and queued frames outlive
    /// the input, waiting for the encoder across restarts of the capture.
    /// - Throws: the stop reason; ``PipelineError`` `.scaleFailed` for a picture that cannot be
    ///   scaled (then it is not counted as captured).
    func emit(_ source: UnsafePointer<AVFrame>, time: Double) throws {
        if configuration.pacing == .unpaced {
            queue.waitForRoom { control.shouldStop }
            try checkStop()
        }
        // Stamped before scaling: capture -> delivery includes the scale, as it did when the encoder scaled.
        let now = wallClockMicros()
        let picture = try scaler.scale(source)
        let frame = CapturedFrame(picture: picture, capturedAtMicros: now, sourceTime: time)
        counters.frameCaptured(atMicros: now)
        for _ in queue.push(frame) {
            counters.frameDroppedBeforeEncode()
        }
    }

    /// Waits until the wall-clock moment of source time `time` (real-time pacing).
    /// - Parameter origin: monotonic nanoseconds of source time 0, set on first use.
    func pace(time: Double, origin: inout Int64?) throws {
        guard configuration.pacing == .realtime else { return }
        let now = monotonicNanos()
        // A hostile or broken source can send any timestamp: beyond ±30 years it is not paced
        // (converting it to nanoseconds would overflow).
        let scaled = time * 1e9
        guard scaled.isFinite, abs(scaled) < 1e18 else {
            origin = nil
            return
        }
        let offset = Int64(scaled)
        let start = origin ?? (now - offset)
        origin = start
        let target = start.addingReportingOverflow(offset)
        if target.overflow || target.partialValue - now > 2_000_000_000 {
            // A timestamp jump (seek, discontinuity): restart the clock instead of sleeping long.
            origin = now - offset
            return
        }
        let deadline = target.partialValue
        if !control.sleep(untilMonotonic: deadline) {
            try checkStop()
        }
    }
}
