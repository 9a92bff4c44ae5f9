/// Receives every move of a frame between the pipeline's stages, so that the owner can keep a
/// ledger in which each frame is in exactly one place.
///
/// ``PipelineCounters`` calls it, from the capture and encoder threads, in the order the moves
/// happen; each method is one move of one frame. Implementations must be thread-safe and must
/// not block.
public protocol FrameAccounting: Sendable {
    /// A sampled frame was put in the encoder's input queue.
    func frameQueuedForEncode()
    /// A frame waiting for the encoder left the pipeline: dropped by a full input queue, or its
    /// encoding failed.
    func frameDroppedBeforeEncode()
    /// A frame waiting for the encoder became a JPEG, queued for publishing.
    func frameEncoded()
    /// A JPEG queued for publishing was dropped by a full output queue.
    func frameDroppedAfterEncode()
}
