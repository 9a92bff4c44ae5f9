import CFFmpeg
import DedicatedThread
import Logging

/// The encoder stage: takes captured frames (already scaled to the output size by ``Capture``)
/// and encodes them as JPEG (libavcodec's mjpeg), numbering each from the camera's ``FrameSequence``.
///
/// Encoding (about half a millisecond of CPU per 320x180 frame) runs on a dedicated thread
/// (`enc-<name>`, a task executor), never on the cooperative pool; ``run()`` joins that thread
/// before it returns. The encoder context is reused between frames (reopened only when the
/// picture size changes).
package struct Encoder: Sendable {
    /// The quality comes from here (`quality`); the size from the captured frames.
    package let configuration: PipelineConfiguration
    /// Captured frames, from the camera's capture queue.
    package let input: FrameQueue<CapturedFrame>
    /// Takes each encoded frame (on the encoder thread), and with it the frame's accounting from
    /// then on; it must not block for long.
    package let deliver: @Sendable (EncodedFrame) -> Void
    /// The camera's counters.
    package let counters: PipelineCounters
    /// The camera's frame numbers.
    package let sequence: FrameSequence
    /// Names the encoder thread `enc-<name>` (Linux keeps 15 characters), e.g. the camera id.
    package let name: String
    /// Called on the encoder thread with each frame and its encode time, before it is
    /// queued; keep it short (it must not block).
    package let onEncoded: (@Sendable (EncodedFrame, Duration) -> Void)?

    /// Creates an encoder stage that hands each frame to `deliver`; nothing is allocated before ``run()``.
    package init(
        configuration: PipelineConfiguration, input: FrameQueue<CapturedFrame>,
        counters: PipelineCounters, sequence: FrameSequence, name: String = "camera",
        onEncoded: (@Sendable (EncodedFrame, Duration) -> Void)? = nil,
        deliver: @escaping @Sendable (EncodedFrame) -> Void
    ) {
        self.name = name
        self.onEncoded = onEncoded
        self.configuration = configuration
        self.input = input
        self.deliver = deliver
        self.counters = counters
        self.sequence = sequence
    }

    /// Creates an encoder stage that queues each frame in `output`, whose drops (oldest first, when
    /// full) are counted as dropped after encode.
    package init(
        configuration: PipelineConfiguration, input: FrameQueue<CapturedFrame>, output: FrameQueue<EncodedFrame>,
        counters: PipelineCounters, sequence: FrameSequence, name: String = "camera",
        onEncoded: (@Sendable (EncodedFrame, Duration) -> Void)? = nil
    ) {
        self.init(
            configuration: configuration, input: input, counters: counters, sequence: sequence, name: name,
            onEncoded: onEncoded
        ) { frame in
            for _ in output.push(frame) { counters.frameDroppedAfterEncode() }
        }
    }

    /// Encodes frames until cancelled; when cancelled, first encodes the frames already queued in
    /// ``input`` (without waiting for more, at most its capacity) and delivers them.
    /// - Throws: `CancellationError` when cancelled; ``PipelineError`` (`.encodeFailed`,
    ///   `.invalidConfiguration`) when a frame cannot be encoded.
    package func run() async throws {
        try configuration.validate()
        try await DedicatedExecutor.withDedicatedExecutor(name: String("enc-\(name)".prefix(15))) { executor in
            try await run(on: executor)
        }
    }

    /// Encodes as ``run()`` does, on `executor`'s thread, which the caller owns and may share with
    /// other async work of the camera: a publisher running there too takes each JPEG without another
    /// thread being woken. Encoding blocks the thread while it runs (about half a millisecond a
    /// 320x180 frame), and so delays the other tasks of the executor by as much.
    /// - Throws: as ``run()``.
    package func run(on executor: DedicatedExecutor) async throws {
        try configuration.validate()
        try await withTaskExecutorPreference(executor) { try await encodeUntilCancelled() }
    }

    private func encodeUntilCancelled() async throws {
        let session = try JPEGSession(configuration: configuration)
        while true {
            // A frame taken from the queue is always encoded and queued, even if cancellation
            // arrives meanwhile: it is delivered, nothing is lost.
            let frame: CapturedFrame
            do {
                frame = try await input.next()
            } catch is CancellationError {
                // Capture stops first: what it queued is encoded now, so a graceful stop loses nothing.
                try drainInput(with: session)
                throw CancellationError()
            }
            try encodeAndQueue(frame, with: session)
        }
    }

    /// Encodes what is queued in `input` now, without waiting, at most its capacity.
    private func drainInput(with session: JPEGSession) throws {
        for _ in 0..<input.capacity {
            guard let frame = input.tryNext() else { return }
            try encodeAndQueue(frame, with: session)
        }
    }

    private func encodeAndQueue(_ frame: CapturedFrame, with session: JPEGSession) throws {
        let encoded: EncodedFrame
        do {
            encoded = try encode(frame, with: session)
        } catch {
            counters.frameDroppedBeforeEncode()  // taken from the queue, never a JPEG: counted, not lost
            throw error
        }
        deliver(encoded)
    }

    func encode(_ frame: CapturedFrame, with session: JPEGSession) throws -> EncodedFrame {
        let started = ContinuousClock.now
        let jpeg = try session.encode(frame.picture.pointer)
        counters.frameEncoded()
        let encoded = EncodedFrame(
            jpeg: jpeg.bytes, seq: sequence.take(), width: jpeg.width, height: jpeg.height,
            capturedAtMicros: frame.capturedAtMicros)
        onEncoded?(encoded, ContinuousClock.now - started)
        return encoded
    }
}
