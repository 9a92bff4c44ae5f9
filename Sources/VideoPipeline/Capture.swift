import CFFmpeg
import DedicatedThread
import Durations
import Foundation
import Logging

/// The capture stage: opens the source, decodes, samples at the configured fps, scales each kept
/// frame to the output size and queues it for the ``Encoder``.
///
/// Scaling happens here, right after sampling, so the queue holds small frames of their own and
/// the decoder gets its pictures back at once (``FrameScaler``).
///
/// All libav work runs on a dedicated thread (`cap-<name>`), never on Swift's cooperative pool, and
/// ``run()`` returns only once that thread has been joined. Its
/// `AVIOInterruptCB` is installed before `avformat_open_input` and fires when the task is
/// cancelled or the stall deadline passes, so ``run()`` returns within a fraction of a second of
/// cancellation whatever libav is blocked in (DNS resolution excepted, which libav cannot abort).
package struct Capture: Sendable {
    /// What to capture.
    package let configuration: PipelineConfiguration
    /// Where sampled frames go: the camera's queue, shared by every generation.
    package let output: FrameQueue<CapturedFrame>
    /// The camera's counters, shared by every generation.
    package let counters: PipelineCounters
    /// Names the capture thread `cap-<name>` (Linux keeps 15 characters), e.g. the camera id.
    package let name: String
    private let logger: Logger

    /// Creates a capture stage; nothing is opened before ``run()``.
    package init(
        configuration: PipelineConfiguration, output: FrameQueue<CapturedFrame>, counters: PipelineCounters,
        name: String = "camera", logger: Logger = Logger(label: "edge-video.capture")
    ) {
        self.configuration = configuration
        self.name = name
        self.output = output
        self.counters = counters
        self.logger = logger
    }

    /// Captures until cancelled, the source fails, or a non-looping file ends.
    ///
    /// - Returns: normally only when a `file://` source with `loop: false` has been read whole.
    /// - Throws: `CancellationError` when the task is cancelled; ``PipelineError`` otherwise:
    ///   `.stalled` when no frame arrived for the stall timeout, `.openFailed`, `.endOfStream`,
    ///   `.readFailed`, `.unsupportedCodec`, `.scaleFailed` (a picture below 2x2),
    ///   `.invalidConfiguration`, ...
    package func run() async throws {
        try configuration.validate()
        let kind = try SourceKind(url: configuration.url)
        _ = FFmpegLog.install
        let control = CaptureControl(stallTimeout: configuration.effectiveStallTimeout, alsoWake: { [output] in output.wakeProducers() })
        let body: @Sendable () throws -> Void = { [self] in
            var sink = CaptureSink(configuration: configuration, control: control, queue: output, counters: counters)
            switch kind {
            case .testPattern(let options): try TestPatternSource(options: options).run(&sink)
            default: try LibavSource(kind: kind, logger: logger).run(&sink)
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The last-frame watchdog: wakes at the stall deadline and stops the thread if no
            // frame moved it (the interrupt callback checks the same deadline inside libav).
            group.addTask {
                while true {
                    let remaining = control.stallDeadline - monotonicNanos()
                    if remaining <= 0 {
                        control.request(.stalled)
                        return
                    }
                    try await Task.sleep(for: .nanoseconds(remaining + 1_000_000))
                }
            }
            defer { group.cancelAll() }
            try await withTaskCancellationHandler {
                try await DedicatedThread.run(name: String("cap-\(name)".prefix(15)), body)
            } onCancel: {
                control.request(.cancelled)
            }
        }
    }
}
