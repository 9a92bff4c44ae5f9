import AMQPPublisher
import Locking

/// Produces numbered messages like the app's frames, and records how each was settled.
///
/// A message the publisher could not hand over (its `publish` threw) is given back with
/// ``putBack(_:)`` and comes out again first, so nothing is lost between generations.
final class MessageSource: Sendable {
    struct Record: Sendable {
        var next = 0
        var putBack: [OutgoingMessage] = []
        var outcomes: [String: PublishOutcome] = [:]
        var settlements = 0
        var refusedAndRetried = 0
    }

    let routingKey: String
    let size: Int
    let limit: Int?
    /// Whether a message the broker refused (`basic.nack`, or returned as unroutable) goes back to
    /// be published again, as an application that must deliver everything would do.
    let retriesRefused: Bool
    let record = Locked(Record())

    init(routingKey: String, size: Int = 64, limit: Int? = nil, retriesRefused: Bool = false) {
        self.routingKey = routingKey
        self.size = size
        self.limit = limit
        self.retriesRefused = retriesRefused
    }

    /// The next message, or `nil` once `limit` messages were produced.
    func next() -> OutgoingMessage? {
        let seq: Int? = record.withLock { r in
            if !r.putBack.isEmpty { return -1 }
            if let limit, r.next >= limit { return nil }
            r.next += 1
            return r.next
        }
        guard let seq else { return nil }
        if seq == -1 { return record.withLock { $0.putBack.removeFirst() } }
        return message(seq)
    }

    func putBack(_ message: OutgoingMessage) {
        record.withLock { $0.putBack.insert(message, at: 0) }
    }

    func message(_ seq: Int) -> OutgoingMessage {
        OutgoingMessage(
            body: [UInt8](repeating: UInt8(truncatingIfNeeded: seq), count: size), routingKey: routingKey,
            messageID: "m-\(seq)", contentType: "application/octet-stream", timestamp: 1_700_000_000 + Int64(seq),
            headers: [("camera_id", .string("cam-test")), ("seq", .int64(Int64(seq))), ("width", .int32(640))],
            // Weak: a message put back sits in `record`, so a strong capture would be a cycle.
            onSettled: { [weak self] s in
                guard let self else { return }
                let retry = retriesRefused && s.outcome != .confirmed
                record.withLock { r in
                    r.outcomes[s.messageID] = s.outcome
                    r.settlements += 1
                    if retry { r.refusedAndRetried += 1 }
                }
                if retry { putBack(message(seq)) }
            })
    }

    /// How many settlements were refusals that went back to be published again.
    var refusedAndRetried: Int { record.withLock { $0.refusedAndRetried } }

    var produced: Int { record.withLock { $0.next } }

    /// Whether messages given back by a failed publish wait to go out again.
    var hasPutBack: Bool { record.withLock { !$0.putBack.isEmpty } }

    func ids(_ outcome: PublishOutcome) -> Set<String> {
        record.withLock { Set($0.outcomes.filter { $0.value == outcome }.keys) }
    }
}

/// Keeps publishing from `source` on `connection` until the source is empty or `stop()` says so.
/// A message whose publish throws goes back to the source.
func publishAll(_ source: MessageSource, on connection: PublisherConnection, stop: @Sendable () -> Bool = { false }) async throws {
    while !stop(), let message = source.next() {
        do {
            try await connection.publish(message)
        } catch {
            source.putBack(message)
            throw error
        }
    }
}
