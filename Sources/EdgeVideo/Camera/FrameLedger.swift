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

    func frameQueuedForEncode() {
        state.withLock { c in
            c.captured += 1
            c.queuedForEncode += 1
        }
    }

    func frameDroppedBeforeEncode() {
        state.withLock { c in
            c.queuedForEncode -= 1
            c.droppedBeforeEncode += 1
        }
    }

    func frameEncoded() {
        state.withLock { c in
            c.queuedForEncode -= 1
            c.encoded += 1
            c.queuedForPublish += 1
        }
    }

    func frameDroppedAfterEncode() {
        state.withLock { c in
            c.queuedForPublish -= 1
            c.droppedAfterEncode += 1
        }
    }

    /// One frame is handed to a connection (before `publish`, so that its settlement can never be
    /// counted before its hand-over).
    func handedOver() {
        state.withLock { c in
            c.queuedForPublish -= 1
            c.inFlight += 1
        }
    }

    /// Frames a connection did not take or handed back unsettled: queued for publishing again.
    func handedBack(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { c in
            c.inFlight -= count
            c.queuedForPublish += count
        }
    }

    /// The broker settled one frame.
    func settled(_ outcome: PublishOutcome) {
        state.withLock { c in
            c.inFlight -= 1
            switch outcome {
            case .confirmed: c.confirmed += 1
            case .nacked: c.nacked += 1
            case .returned: c.returned += 1
            }
        }
    }

    /// Frames of the publish queue written to the spool (their memory copy is gone).
    func spooled(_ count: Int = 1) {
        guard count > 0 else { return }
        state.withLock { c in
            c.queuedForPublish -= count
            c.spooled += count
        }
    }

    /// One spooled frame was read back to be published.
    func unspooled() {
        state.withLock { c in
            c.spooled -= 1
            c.queuedForPublish += 1
        }
    }

    /// A frame of the publish queue that the spool could not take (full disk, vanished directory).
    func spoolRefused() {
        state.withLock { c in
            c.queuedForPublish -= 1
            c.spoolDropped += 1
        }
    }

    /// Frames an earlier run left in the spool.
    func recovered(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { c in
            c.recovered += count
            c.spooled += count
        }
    }

    /// Spooled frames the spool gave up: evicted by its budget, expired or damaged.
    func spoolDiscarded(_ count: Int, reason: SpoolDiscard) {
        guard count > 0 else { return }
        state.withLock { c in
            c.spooled -= count
            switch reason {
            case .full: c.spoolDropped += count
            case .expired: c.expired += count
            case .damaged: c.damaged += count
            }
        }
    }

    /// One frame in flight was given up as poison.
    func rejected() {
        state.withLock { c in
            c.inFlight -= 1
            c.rejected += 1
        }
    }
}
