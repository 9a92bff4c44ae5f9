import AMQPPublisher
import CoreMetrics
import Foundation
import Locking
import VideoPipeline

/// What a camera's stages report as frames pass, for readers such as the HTTP endpoint: the last
/// encoded JPEG, and two swift-metrics timers (encode time, capture → confirm latency). The
/// timers go to whatever metrics backend the process bootstrapped (none: they cost nothing).
///
/// Kept across the generations of a camera's subtree, like its counters. Thread-safe.
final class CameraObservations: Sendable {
    /// JPEG encode time of each frame (`edge_video_encode_duration_seconds`; the capture thread scales).
    let encodeDuration: CoreMetrics.Timer
    /// From `captured_at_us` to the broker's confirm (`edge_video_capture_to_confirm_seconds`).
    let captureToConfirm: CoreMetrics.Timer
    private let latest = Locked<EncodedFrame?>(nil)

    /// Timers labelled `camera=<id>`, made by `factory` (the bootstrapped one by default).
    init(cameraID: String, factory: any MetricsFactory = MetricsSystem.factory) {
        let dimensions = [("camera", cameraID)]
        encodeDuration = CoreMetrics.Timer(label: MetricNames.encodeDuration, dimensions: dimensions, factory: factory)
        captureToConfirm = CoreMetrics.Timer(label: MetricNames.captureToConfirm, dimensions: dimensions, factory: factory)
    }

    /// The encoder made `frame` in `duration`; it becomes the latest frame (the JPEG bytes are
    /// shared, not copied).
    func encoded(_ frame: EncodedFrame, in duration: Duration) {
        encodeDuration.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        latest.withLock { $0 = frame }
    }

    /// The broker settled the message of a frame captured at `capturedAtMicros` (µs since the epoch).
    func settled(_ settlement: Settlement, capturedAtMicros: Int64) {
        guard settlement.outcome == .confirmed else { return }
        let micros = Int64(Date().timeIntervalSince1970 * 1_000_000) - capturedAtMicros
        if micros >= 0 { captureToConfirm.recordMicroseconds(micros) }
    }

    /// The last encoded frame; `nil` before the first.
    var latestFrame: EncodedFrame? { latest.withLock { $0 } }

    /// Removes the camera's timers from the backend (the camera was removed).
    func destroy() {
        encodeDuration.destroy()
        captureToConfirm.destroy()
    }
}
