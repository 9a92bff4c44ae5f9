/// The in-flight window of one channel. A pure value; the connection keeps it under a lock.
///
/// Two stages, each bounded by the window (count and bytes):
/// - the send queue: messages accepted by `publish`, not sent yet, in order;
/// - the wire: messages sent with a delivery tag, until `basic.ack`/`basic.nack` settles them.
/// The connection thread moves messages from the queue to the wire as soon as acks free room, without
/// waiting for the publisher to run, so at most one window is ever unconfirmed at the broker.
///
/// Tags start at 1 on each channel and grow by one per `basic.publish`, so the ordered map
/// tag → message is an array indexed by `tag - firstTag`.
struct ConfirmWindow {
    struct Entry {
        var message: OutgoingMessage
        var republish: Bool
        var sentAt: ContinuousClock.Instant?
        var returned = false
        var settled = false
    }

    /// A message settled by the broker.
    struct Settled {
        var message: OutgoingMessage
        var outcome: PublishOutcome
        /// From `basic.publish` to the broker's answer.
        var latency: Duration
    }

    let maxCount: Int
    let maxBytes: Int
    private var queued: [Entry] = []
    private var queuedHead = 0
    private(set) var queuedBytes = 0
    /// Sent; index `sentHead` holds `firstTag`.
    private var sent: [Entry] = []
    private var sentHead = 0
    private(set) var firstTag: UInt64 = 1
    private(set) var nextTag: UInt64 = 1
    /// Sent and unsettled messages and their body bytes.
    private(set) var wireCount = 0
    private(set) var wireBytes = 0

    init(maxCount: Int, maxBytes: Int) {
        self.maxCount = maxCount
        self.maxBytes = maxBytes
    }

    /// Accepted and unsettled messages (queued plus on the wire).
    var count: Int { queuedCount + wireCount }
    var queuedCount: Int { queued.count - queuedHead }

    /// Whether the send queue takes a message of `size` bytes; an empty queue takes any one message.
    func hasRoom(for size: Int) -> Bool {
        queuedCount == 0 || (queuedCount < maxCount && queuedBytes + size <= maxBytes)
    }

    /// Whether the send queue has drained to half a window (by count and bytes) or is empty: a
    /// publisher that waited for room resumes only then, so it refills half a window in one go
    /// instead of being woken for every confirm.
    var isAtLowWater: Bool {
        queuedCount == 0 || (queuedCount <= maxCount / 2 && queuedBytes <= maxBytes / 2)
    }

    /// Whether a queued message may go on the wire now; an empty wire takes any one message.
    var canSend: Bool {
        guard queuedCount > 0 else { return false }
        return wireCount == 0 || (wireCount < maxCount && wireBytes + queued[queuedHead].message.body.count <= maxBytes)
    }

    mutating func accept(_ message: OutgoingMessage, republish: Bool = false) {
        queued.append(Entry(message: message, republish: republish))
        queuedBytes += message.body.count
    }

    /// Moves queued messages to the wire while it has room, giving each its delivery tag.
    mutating func takeSendable(at now: ContinuousClock.Instant) -> [(message: OutgoingMessage, republish: Bool)] {
        var batch: [(message: OutgoingMessage, republish: Bool)] = []
        while canSend {
            var entry = queued[queuedHead]
            queuedHead += 1
            queuedBytes -= entry.message.body.count
            entry.sentAt = now
            batch.append((entry.message, entry.republish))
            sent.append(entry)
            nextTag += 1
            wireCount += 1
            wireBytes += entry.message.body.count
        }
        if queuedHead == queued.count || queuedHead > 4096 {
            queued.removeFirst(queuedHead)
            queuedHead = 0
        }
        return batch
    }

    /// The send time of the oldest unsettled sent message.
    var oldestSentAt: ContinuousClock.Instant? {
        sent[sentHead...].first { !$0.settled }?.sentAt
    }

    /// Restarts the confirm clock of every sent message (after `connection.unblocked`).
    mutating func restartConfirmClock(at now: ContinuousClock.Instant) {
        for i in sentHead..<sent.count { sent[i].sentAt = now }
    }

    /// Marks the oldest unsettled message with this `message_id` as returned (`basic.return`).
    mutating func markReturned(messageID: String) -> OutgoingMessage? {
        guard let i = sent[sentHead...].firstIndex(where: { !$0.settled && !$0.returned && $0.message.messageID == messageID })
        else { return nil }
        sent[i].returned = true
        return sent[i].message
    }

    /// Settles `tag` (and every earlier tag when `multiple`), returning what was settled in tag order.
    mutating func settle(tag: UInt64, multiple: Bool, ack: Bool, at now: ContinuousClock.Instant) -> [Settled] {
        guard tag >= firstTag, tag < nextTag else { return [] }
        let last = Int(tag - firstTag) + sentHead
        let first = multiple ? sentHead : last
        var result: [Settled] = []
        for i in first...last where !sent[i].settled {
            sent[i].settled = true
            let outcome: PublishOutcome = !ack ? .nacked : sent[i].returned ? .returned : .confirmed
            let latency = sent[i].sentAt.map { $0.duration(to: now) } ?? .zero
            result.append(Settled(message: sent[i].message, outcome: outcome, latency: latency))
            wireCount -= 1
            wireBytes -= sent[i].message.body.count
        }
        while sentHead < sent.count, sent[sentHead].settled {
            sentHead += 1
            firstTag += 1
        }
        if sentHead == sent.count || sentHead > 4096 {
            sent.removeFirst(sentHead)
            sentHead = 0
        }
        return result
    }

    /// Every unsettled message, sent ones in tag order then queued ones; empties the window.
    mutating func takeUnsettled() -> [OutgoingMessage] {
        let result = sent[sentHead...].filter { !$0.settled }.map(\.message) + queued[queuedHead...].map(\.message)
        sent.removeAll()
        queued.removeAll()
        sentHead = 0
        queuedHead = 0
        queuedBytes = 0
        wireCount = 0
        wireBytes = 0
        firstTag = nextTag
        return result
    }
}
