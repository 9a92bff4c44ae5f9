import Locking
import Synchronization

/// Which frames the decoder is given.
public enum DecodeMode: String, Sendable, Hashable {
    /// Not decided yet (no keyframe interval measured).
    case unknown
    /// Every frame is decoded.
    case all
    /// Only keyframes are decoded, because the sampling interval is at least the keyframe interval.
    case keyframe
}

/// Live counters of one camera's pipeline, shared by every generation of its stages.
///
/// Lock-free: reading a ``Snapshot`` from any thread is a handful of atomic loads. Every move of a
/// frame between stages is also reported to the ``FrameAccounting`` given at creation, if any.
public final class PipelineCounters: Sendable {
    /// A consistent-enough copy of the counters at one moment.
    public struct Snapshot: Sendable, Hashable {
        /// Packets read from the video stream of the source.
        public var packetsRead: Int64
        /// Frames that came out of the decoder (or the test pattern generator).
        public var framesDecoded: Int64
        /// Frames kept by the sampler and queued for the encoder.
        public var framesCaptured: Int64
        /// JPEGs produced by the encoder.
        public var framesEncoded: Int64
        /// Frames dropped by a full queue (oldest first) or a failed encoding: both stages.
        public var dropped: Int64 { droppedBeforeEncode + droppedAfterEncode }
        /// Captured frames that never became a JPEG: a full encoder input queue, or a failed encoding.
        public var droppedBeforeEncode: Int64
        /// JPEGs dropped by a full output queue.
        public var droppedAfterEncode: Int64
        /// The decoder's current mode.
        public var decodeMode: DecodeMode
        /// When the last frame was captured, µs since the Unix epoch; `nil` before the first.
        public var lastFrameAtMicros: Int64?
    }

    private let packetsRead = Atomic<Int64>(0)
    private let framesDecoded = Atomic<Int64>(0)
    private let framesCaptured = Atomic<Int64>(0)
    private let framesEncoded = Atomic<Int64>(0)
    private let droppedBeforeEncode = Atomic<Int64>(0)
    private let droppedAfterEncode = Atomic<Int64>(0)
    private let decodeMode = Atomic<UInt8>(0)
    private let lastFrameAtMicros = Atomic<Int64>(0)

    private let accounting: (any FrameAccounting)?

    /// Creates zeroed counters.
    /// - Parameter accounting: told of every move of a frame between stages.
    public init(accounting: (any FrameAccounting)? = nil) {
        self.accounting = accounting
    }

    /// Reads every counter.
    public func snapshot() -> Snapshot {
        let last = lastFrameAtMicros.load(ordering: .relaxed)
        let mode: DecodeMode
        switch decodeMode.load(ordering: .relaxed) {
        case 1: mode = .all
        case 2: mode = .keyframe
        default: mode = .unknown
        }
        return Snapshot(
            packetsRead: packetsRead.load(ordering: .relaxed),
            framesDecoded: framesDecoded.load(ordering: .relaxed),
            framesCaptured: framesCaptured.load(ordering: .relaxed),
            framesEncoded: framesEncoded.load(ordering: .relaxed),
            droppedBeforeEncode: droppedBeforeEncode.load(ordering: .relaxed),
            droppedAfterEncode: droppedAfterEncode.load(ordering: .relaxed),
            decodeMode: mode,
            lastFrameAtMicros: last == 0 ? nil : last)
    }

    func packetRead() { packetsRead.add(1, ordering: .relaxed) }
    func frameDecoded() { framesDecoded.add(1, ordering: .relaxed) }

    func frameEncoded() {
        framesEncoded.add(1, ordering: .relaxed)
        accounting?.frameEncoded()
    }

    func frameDroppedBeforeEncode() {
        droppedBeforeEncode.add(1, ordering: .relaxed)
        accounting?.frameDroppedBeforeEncode()
    }

    func frameDroppedAfterEncode() {
        droppedAfterEncode.add(1, ordering: .relaxed)
        accounting?.frameDroppedAfterEncode()
    }

    func frameCaptured(atMicros micros: Int64) {
        framesCaptured.add(1, ordering: .relaxed)
        lastFrameAtMicros.store(micros, ordering: .relaxed)
        accounting?.frameQueuedForEncode()
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
public final class FrameSequence: Sendable {
    private let value: Atomic<Int64>

    /// Creates a sequence whose first ``take()`` returns `next`.
    public init(next: Int64 = 0) {
        self.value = Atomic(next)
    }

    /// Returns the next number and advances.
    public func take() -> Int64 {
        value.add(1, ordering: .relaxed).oldValue
    }

    /// The number the next ``take()`` will return.
    public var peek: Int64 { value.load(ordering: .relaxed) }
}
