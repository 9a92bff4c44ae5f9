import Synchronization

/// Receives every move of a frame between the pipeline's stages, so that the owner can keep a
/// ledger in which each frame is in exactly one place.
///
/// ``PipelineCounters`` calls it, from the capture and encoder threads, in the order the moves
/// happen; each method is one move of one frame. It is the only count of these moves:
/// ``PipelineCounters/snapshot()`` reads its ``totals``. Implementations must be thread-safe and
/// must not block.
package protocol FrameAccounting: Sendable {
    /// A sampled frame was put in the encoder's input queue.
    func frameQueuedForEncode()
    /// A frame waiting for the encoder left the pipeline: dropped by a full input queue, or its
    /// encoding failed.
    func frameDroppedBeforeEncode()
    /// A frame waiting for the encoder became a JPEG, queued for publishing.
    func frameEncoded()
    /// A JPEG queued for publishing was dropped by a full output queue.
    func frameDroppedAfterEncode()
    /// How many frames each move has counted so far.
    var totals: FrameTotals { get }
}

/// How many frames went through each move of ``FrameAccounting`` so far.
package struct FrameTotals: Sendable, Hashable {
    /// Frames queued for the encoder.
    package var captured: Int64
    /// Frames that became a JPEG.
    package var encoded: Int64
    /// Frames that left before becoming a JPEG.
    package var droppedBeforeEncode: Int64
    /// JPEGs dropped by a full output queue.
    package var droppedAfterEncode: Int64

    /// Creates totals.
    package init(captured: Int64 = 0, encoded: Int64 = 0, droppedBeforeEncode: Int64 = 0, droppedAfterEncode: Int64 = 0) {
        self.captured = captured
        self.encoded = encoded
        self.droppedBeforeEncode = droppedBeforeEncode
        self.droppedAfterEncode = droppedAfterEncode
    }
}

/// The accounting of a pipeline whose owner keeps no ledger: one atomic per move.
///
/// Thread-safety: atomics only; any method from any thread.
final class FrameTally: FrameAccounting {
    private let captured = Atomic<Int64>(0)
    private let encoded = Atomic<Int64>(0)
    private let droppedBeforeEncode = Atomic<Int64>(0)
    private let droppedAfterEncode = Atomic<Int64>(0)

    func frameQueuedForEncode() { captured.add(1, ordering: .relaxed) }
    func frameDroppedBeforeEncode() { droppedBeforeEncode.add(1, ordering: .relaxed) }
    func frameEncoded() { encoded.add(1, ordering: .relaxed) }
    func frameDroppedAfterEncode() { droppedAfterEncode.add(1, ordering: .relaxed) }

    var totals: FrameTotals {
        FrameTotals(
            captured: captured.load(ordering: .relaxed), encoded: encoded.load(ordering: .relaxed),
            droppedBeforeEncode: droppedBeforeEncode.load(ordering: .relaxed),
            droppedAfterEncode: droppedAfterEncode.load(ordering: .relaxed))
    }
}
