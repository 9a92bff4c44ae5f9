import Locking
import Synchronization

/// Publishing counters, cheap to read from any thread at any time.
///
/// Share one instance across the connection generations of a camera so that its figures survive
/// reconnects. Every field is an atomic; ``snapshot()`` reads each one (the fields are not read as one
/// transaction, which is fine for a status).
public final class PublisherCounters: Sendable {
    let published = Atomic<Int>(0)
    let confirmed = Atomic<Int>(0)
    let nacked = Atomic<Int>(0)
    let returned = Atomic<Int>(0)
    let inFlight = Atomic<Int>(0)
    let republished = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    /// Messages the connection wrote itself, a batch per `sendmsg` (plain TCP), rather than through
    /// rabbitmq-c's `amqp_basic_publish` (TLS); for tests, not in the snapshot.
    let batchWritten = Atomic<Int>(0)

    /// Creates zeroed counters.
    public init() {}

    /// The current figures.
    public func snapshot() -> Snapshot {
        Snapshot(
            published: published.load(ordering: .relaxed),
            confirmed: confirmed.load(ordering: .relaxed),
            nacked: nacked.load(ordering: .relaxed),
            returned: returned.load(ordering: .relaxed),
            inFlight: inFlight.load(ordering: .relaxed),
            republished: republished.load(ordering: .relaxed),
            reconnects: max(0, connections.load(ordering: .relaxed) - 1)
        )
    }

    /// A copy of the counters at one moment.
    public struct Snapshot: Sendable, Hashable, Codable {
        /// `basic.publish` calls that went out, republishes included.
        public var published: Int
        /// Messages acked by the broker.
        public var confirmed: Int
        /// Messages nacked by the broker.
        public var nacked: Int
        /// Mandatory messages returned as unroutable (then acked).
        public var returned: Int
        /// Messages accepted by `publish` and not settled yet (queued or awaiting their confirm).
        public var inFlight: Int
        /// Publishes of messages handed back by an earlier connection.
        public var republished: Int
        /// Successful connects after the first one.
        public var reconnects: Int

        enum CodingKeys: String, CodingKey {
            case published, confirmed, nacked, returned, inFlight = "in_flight", republished, reconnects
        }
    }
}

extension Atomic<Int> {
    func add(_ n: Int) { wrappingAdd(n, ordering: .relaxed) }
}
