import Locking
import Synchronization

/// Which frames the decoder is given.
package enum DecodeMode: String, Sendable, Hashable {
    /// Not decided yet (no keyframe interval measured).
    case unknown
    /// Every frame is decoded.
    case all
    /// Only keyframes are decoded, because the sampling interval is at least the keyframe interval.
    case keyframe
}

/// Live counters of one camera's pipeline, shared by every generation of its stages.
///
/// Every move of a frame between stages is counted once, by the ``FrameAccounting`` given at
/// creation (a plain tally without one); these counters hold only what no accounting counts
/// (packets, decoded frames, decode mode, last capture time). Reading a ``Snapshot`` from any
/// thread is a handful of atomic loads and one read of the accounting's totals.
package final class PipelineCounters: Sendable {
    /// A consistent-enough copy of the counters at one moment.
    package struct Snapshot: Sendable, Hashable {
        /// Packets read from the video stream of the source.
        package var packetsRead: Int64
        /// Frames that came out of the decoder (or the test pattern generator).
        package var framesDecoded: Int64
        /// Frames kept by the sampler and queued for the encoder.
        package var framesCaptured: Int64
        /// JPEGs produced by the encoder.
        package var framesEncoded: Int64
        /// Frames dropped by a full queue (oldest first) or a failed encoding: both stages.
        package var dropped: Int64 { droppedBeforeEncode + droppedAfterEncode }
        /// Captured frames that never became a JPEG: a full encoder input queue, or a failed encoding.
        package var droppedBeforeEncode: Int64
        /// JPEGs dropped by a full output queue.
        package var droppedAfterEncode: Int64
        /// The decoder's current mode.
        package var decodeMode: DecodeMode
        /// When the last frame was captured, µs since the Unix epoch; `nil` before the first.
        package var lastFrameAtMicros: Int64?
    }

    private let packetsRead = Atomic<Int64>(0)
    private let framesDecoded = Atomic<Int64>(0)
    private let decodeMode = Atomic<UInt8>(0)
    private let lastFrameAtMicros = Atomic<Int64>(0)

    private let accounting: any FrameAccounting

    /// Creates zeroed counters.
    /// - Parameter accounting: told of every move of a frame between stages, and read for their
    ///   totals; `nil` for a plain tally.
    package init(accounting: (any FrameAccounting)? = nil) {
        self.accounting = accounting ?? FrameTally()
    }

    /// Reads every counter.
    package func snapshot() -> Snapshot {
        let last = lastFrameAtMicros.load(ordering: .relaxed)
        let mode: DecodeMode
        switch decodeMode.load(ordering: .relaxed) {
        case 1: mode = .all
        case 2: mode = .keyframe
        default: mode = .unknown
        }
        let totals = accounting.totals
        return Snapshot(
            packetsRead: packetsRead.load(ordering: .relaxed),
            framesDecoded: framesDecoded.load(ordering: .relaxed),
            framesCaptured: totals.captured,
            framesEncoded: totals.encoded,
            droppedBeforeEncode: totals.droppedBeforeEncode,
            droppedAfterEncode: totals.droppedAfterEncode,
            decodeMode: mode,
            lastFrameAtMicros: last == 0 ? nil : last)
    }

    func packetRead() { packetsRead.add(1, ordering: .relaxed) }
    func frameDecoded() { framesDecoded.add(1, ordering: .relaxed) }

    func frameEncoded() { accounting.frameEncoded() }
    func frameDroppedBeforeEncode() { accounting.frameDroppedBeforeEncode() }
    func frameDroppedAfterEncode() { accounting.frameDroppedAfterEncode() }

    func frameCaptured(atMicros micros: Int64) {
        lastFrameAtMicros.store(micros, ordering: .relaxed)
        accounting.frameQueuedForEncode()
    }

    func setDecodeMode(_ mode: DecodeMode) {
        let raw: UInt8 = switch mode {
        case .unknown: 0
        case .all: 1
        case .keyframe: 2
        }
        decodeMode.store(raw, ordering: .relaxed)
    }
}

/// A per-camera increasing frame number, shared by every generation of the encoder.
///
/// Seed it (e.g. from a persisted value or the clock) so that numbers keep increasing across
/// process restarts too. Thread-safe.
package final class FrameSequence: Sendable {
    private let value: Atomic<Int64>

    /// Creates a sequence whose first ``take()`` returns `next`.
    package init(next: Int64 = 0) {
        self.value = Atomic(next)
    }

    /// Returns the next number and advances.
    package func take() -> Int64 {
        value.add(1, ordering: .relaxed).oldValue
    }

    /// The number the next ``take()`` will return.
    package var peek: Int64 { value.load(ordering: .relaxed) }
}
