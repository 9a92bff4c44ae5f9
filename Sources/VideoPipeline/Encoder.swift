import CFFmpeg
import Logging

/// The encoder stage: takes captured frames, scales them to the configured size and encodes
/// them as JPEG (libavcodec's mjpeg), numbering each from the camera's ``FrameSequence``.
///
/// Scaling and encoding are CPU work of a few milliseconds per frame; they run in this task.
/// Contexts and frames are reused between frames (rebuilt only when the input size changes).
public struct Encoder: Sendable {
    /// Size and quality come from here (`width`, `height`, `quality`).
    public let configuration: PipelineConfiguration
    /// Captured frames, from the camera's capture queue.
    public let input: FrameQueue<CapturedFrame>
    /// Encoded frames, to the camera's publish queue.
    public let output: FrameQueue<EncodedFrame>
    /// The camera's counters.
    public let counters: PipelineCounters
    /// The camera's frame numbers.
    public let sequence: FrameSequence

    /// Creates an encoder stage; nothing is allocated before ``run()``.
    public init(
        configuration: PipelineConfiguration, input: FrameQueue<CapturedFrame>, output: FrameQueue<EncodedFrame>,
        counters: PipelineCounters, sequence: FrameSequence
    ) {
        self.configuration = configuration
        self.input = input
        self.output = output
        self.counters = counters
        self.sequence = sequence
    }

    /// Encodes frames until cancelled.
    /// - Throws: `CancellationError` when cancelled; ``PipelineError`` (`.encodeFailed`,
    ///   `.scaleFailed`, `.invalidConfiguration`) when a frame cannot be encoded.
    public func run() async throws {
        try configuration.validate()
        let session = try JPEGSession(configuration: configuration)
        while true {
            // A frame taken from the queue is always encoded and queued, even if cancellation
            // arrives meanwhile: the next generation finds it in `output`, nothing is lost.
            let frame = try await input.next()
            let encoded = try encode(frame, with: session)
            if output.push(encoded) != nil {
                counters.frameDropped()
            }
        }
    }

    func encode(_ frame: CapturedFrame, with session: JPEGSession) throws -> EncodedFrame {
        let jpeg = try session.encode(frame.picture.pointer)
        counters.frameEncoded()
        return EncodedFrame(
            jpeg: jpeg.bytes, seq: sequence.take(), width: jpeg.width, height: jpeg.height,
            capturedAtMicros: frame.capturedAtMicros)
    }
}
