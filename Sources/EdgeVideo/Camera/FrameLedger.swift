import AMQPPublisher
import Locking
import Spool
import VideoPipeline

/// Where every frame of one camera is: each frame is in exactly one place at every instant.
///
/// Every move of a frame is one step under one lock, and ``counts`` reads all places under the
/// same lock, so the two identities of ``Counts`` hold on every read, whatever the threads are
/// doing: `captured = encoded + droppedBeforeEncode + queuedForEncode` and
/// `encoded + recovered = publishPlaces`. Kept by the camera for the life of the process (across subtree restarts and reloads).
///
/// Thread-safety: a `Locked`-protected box; any method from any thread.
final class FrameLedger: FrameAccounting {
    /// The places, as one consistent copy.
    struct Counts: Sendable, Hashable {
        /// Frames sampled from the source and queued for the encoder (every frame starts here).
        var captured = 0
        /// Frames that became a JPEG.
        var encoded = 0
        /// Captured, waiting for the encoder or being encoded.
        var queuedForEncode = 0
        /// Encoded, not handed to a broker connection yet: in the publish queue, or handed back
        /// by a connection that ended and waiting to be republished.
        var queuedForPublish = 0
        /// Handed to a broker connection (in its window, or waiting for room in it), not settled.
        var inFlight = 0
        /// Acked by the broker (`basic.ack`).
        var confirmed = 0
        /// Dropped before becoming a JPEG: a full encoder queue (oldest first) or a failed encoding.
        var droppedBeforeEncode = 0
        /// JPEGs dropped by a full publish queue (oldest first), e.g. during a broker outage.
        var droppedAfterEncode = 0
        /// Refused by the broker (`basic.nack`, e.g. a full queue with `x-overflow: reject-publish`).
        var nacked = 0
        /// Unroutable mandatory messages (`basic.return`, then acked).
        var returned = 0
        /// Messages the broker closed the channel over (a poison message, e.g. over
        /// `max_message_size`), given up after being isolated.
        var rejected = 0
        /// Frames found in the spool when the process started (written by an earlier run): they
        /// enter the ledger here, beside `encoded`, and start in `spooled`.
        var recovered = 0
        /// Encoded frames whose only copy waiting to be published is on disk, in the spool.
        var spooled = 0
        /// Frames the spool could not keep: over its `max_bytes` (oldest first), or the disk full.
        var spoolDropped = 0
        /// Spooled frames older than `spool.max_age_s` when their turn came.
        var expired = 0
        /// Spooled frames whose bytes were damaged on disk (checksum), skipped.
        var damaged = 0

        /// Every frame that entered the publish side: encoded here, or recovered from the spool.
        var publishable: Int { encoded + recovered }

        /// The places a publishable frame can be in; they add up to ``publishable``.
        var publishPlaces: Int {
            queuedForPublish + spooled + inFlight + confirmed + droppedAfterEncode + spoolDropped + expired + damaged
                + nacked + returned + rejected
        }
    }

    private let state = Locked(Counts())

    init() {}

    /// All places, read at one instant.
    var counts: Counts { state.withLock { $0 } }

    /// The pipeline's view of the same places (``PipelineCounters`` reads its frame counts here).
    var totals: FrameTotals {
        let c = counts
        return FrameTotals(
            captured: Int64(c.captured), encoded: Int64(c.encoded), droppedBeforeEncode: Int64(c.droppedBeforeEncode),
            droppedAfterEncode: Int64(c.droppedAfterEncode))
    }

    func frameQueuedForEncode() { move(from: nil, to: \.captured, \.queuedForEncode) }

    func frameDroppedBeforeEncode() { move(from: \.queuedForEncode, to: \.droppedBeforeEncode) }

    func frameEncoded() { move(from: \.queuedForEncode, to: \.encoded, \.queuedForPublish) }

    func frameDroppedAfterEncode() { move(from: \.queuedForPublish, to: \.droppedAfterEncode) }

    /// One frame is handed to a connection (before `publish`, so that its settlement can never be
    /// counted before its hand-over).
    func handedOver() { move(from: \.queuedForPublish, to: \.inFlight) }

    /// Frames a connection did not take or handed back unsettled: queued for publishing again.
    func handedBack(_ count: Int) { move(count, from: \.inFlight, to: \.queuedForPublish) }

    /// The broker settled one frame.
    func settled(_ outcome: PublishOutcome) {
        let place: WritableKeyPath<Counts, Int> = switch outcome {
        case .confirmed: \.confirmed
        case .nacked: \.nacked
        case .returned: \.returned
        }
        move(from: \.inFlight, to: place)
    }

    /// Frames of the publish queue written to the spool (their memory copy is gone).
    func spooled(_ count: Int = 1) { move(count, from: \.queuedForPublish, to: \.spooled) }

    /// One spooled frame was read back to be published.
    func unspooled() { move(from: \.spooled, to: \.queuedForPublish) }

    /// A frame of the publish queue that the spool could not take (full disk, vanished directory).
    func spoolRefused() { move(from: \.queuedForPublish, to: \.spoolDropped) }

    /// Frames an earlier run left in the spool.
    func recovered(_ count: Int) { move(count, from: nil, to: \.recovered, \.spooled) }

    /// Spooled frames the spool gave up: evicted by its budget, expired or damaged.
    func spoolDiscarded(_ count: Int, reason: SpoolDiscard) {
        let place: WritableKeyPath<Counts, Int> = switch reason {
        case .full: \.spoolDropped
        case .expired: \.expired
        case .damaged: \.damaged
        }
        move(count, from: \.spooled, to: place)
    }

    /// One frame in flight was given up as poison.
    func rejected() { move(from: \.inFlight, to: \.rejected) }

    /// The one step every move is: `count` frames leave `source` (`nil` for frames entering the
    /// ledger) and are added to each of `places`, under the lock.
    private func move(_ count: Int = 1, from source: WritableKeyPath<Counts, Int>?, to places: WritableKeyPath<Counts, Int>...) {
        guard count > 0 else { return }
        state.withLock { c in
            if let source { c[keyPath: source] -= count }
            for place in places { c[keyPath: place] += count }
        }
    }
}
