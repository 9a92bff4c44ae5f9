/// The in-flight window of one channel: messages accepted by `publish`, then sent with a delivery
/// tag, until `basic.ack`/`basic.nack` settles them. A pure value; the connection keeps it under a lock.
///
/// Tags start at 1 on each channel and grow by one per `basic.publish`, so the ordered map
/// tag → message is an array indexed by `tag - firstTag`.
struct ConfirmWindow {
    struct Entry {
        var message: OutgoingMessage
        var acceptedAt: ContinuousClock.Instant
        var sentAt: ContinuousClock.Instant?
        var republish: Bool
        var returned = false
        var settled = false
    }

    /// A message settled by the broker.
    struct Settled {
        var message: OutgoingMessage
        var outcome: PublishOutcome
        var latency: Duration
    }

    let maxCount: Int
    let maxBytes: Int
    /// Accepted, not sent yet, in order.
    private var queued: [Entry] = []
    /// Sent; index 0 holds `firstTag`.
    private var sent: [Entry] = []
    private var sentHead = 0
    private(set) var firstTag: UInt64 = 1
    private(set) var nextTag: UInt64 = 1
    /// Accepted and unsettled messages and their body bytes.
    private(set) var count = 0
    private(set) var bytes = 0

    init(maxCount: Int, maxBytes: Int) {
        self.maxCount = maxCount
        self.maxBytes = maxBytes
    }

    /// Whether a message of `size` bytes fits; an empty window takes any one message.
    func hasRoom(for size: Int) -> Bool {
        count == 0 || (count < maxCount && bytes + size <= maxBytes)
    }

    var hasQueued: Bool { !queued.isEmpty }

    mutating func accept(_ message: OutgoingMessage, at now: ContinuousClock.Instant, republish: Bool = false) {
        queued.append(Entry(message: message, acceptedAt: now, republish: republish))
        count += 1
        bytes += message.body.count
    }

    /// Moves the queued messages to the sent map, giving each its delivery tag.
    mutating func takeQueued(at now: ContinuousClock.Instant) -> [(message: OutgoingMessage, republish: Bool)] {
        guard hasQueued else { return [] }
        var batch: [(message: OutgoingMessage, republish: Bool)] = []
        batch.reserveCapacity(queued.count)
        for var entry in queued {
            entry.sentAt = now
            batch.append((entry.message, entry.republish))
            sent.append(entry)
            nextTag += 1
        }
        queued.removeAll(keepingCapacity: true)
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
            result.append(Settled(message: sent[i].message, outcome: outcome, latency: sent[i].acceptedAt.duration(to: now)))
            count -= 1
            bytes -= sent[i].message.body.count
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
        let result = sent[sentHead...].filter { !$0.settled }.map(\.message) + queued.map(\.message)
        sent.removeAll()
        queued.removeAll()
        sentHead = 0
        count = 0
        bytes = 0
        firstTag = nextTag
        return result
    }
}
