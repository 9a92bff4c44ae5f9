/// A value in the `headers` table of a message.
public enum AMQPHeaderValue: Sendable, Hashable {
    /// A UTF-8 string (`S`).
    case string(String)
    /// A signed 64-bit integer (`l`).
    case int64(Int64)
    /// A signed 32-bit integer (`I`).
    case int32(Int32)
    /// A boolean (`t`).
    case bool(Bool)
}

/// How the broker settled one published message.
public enum PublishOutcome: Sendable, Hashable {
    /// `basic.ack`: the broker has taken responsibility for the message.
    case confirmed
    /// `basic.nack`: the broker refused it (for example a full queue with `x-overflow: reject-publish`).
    case nacked
    /// `basic.return` then `basic.ack`: a mandatory message that no queue took.
    case returned
}

/// The final settlement of one message, handed to its ``OutgoingMessage/onSettled`` callback.
public struct Settlement: Sendable {
    /// The message's `message_id`.
    public var messageID: String
    /// How it was settled.
    public var outcome: PublishOutcome
    /// From acceptance by `publish` to the broker's answer.
    public var latency: Duration
}

/// One message to publish.
///
/// A message that was not settled when its connection ended is handed back by
/// ``PublisherConnection/withGeneration(configuration:counters:carrying:logger:gracePeriod:_:)``
/// unchanged (same `messageID`, same callback), to be republished by the next generation.
public struct OutgoingMessage: Sendable {
    /// The body.
    public var body: [UInt8]
    /// The routing key.
    public var routingKey: String
    /// `message_id`: unique per message and stable across republishing; must not be empty.
    public var messageID: String
    /// `content_type`, if any.
    public var contentType: String?
    /// `delivery_mode` (1 transient, 2 persistent); `nil` uses the configuration's `persistent`.
    public var deliveryMode: UInt8?
    /// `timestamp`, seconds since the Unix epoch.
    public var timestamp: Int64?
    /// The `headers` table, in this order.
    public var headers: [(String, AMQPHeaderValue)]
    /// Called once with the final settlement, from the confirm drainer's task (or while the generation closes).
    /// Keep it short; it must not block.
    public var onSettled: (@Sendable (Settlement) -> Void)?

    /// Creates a message.
    public init(body: [UInt8], routingKey: String, messageID: String, contentType: String? = nil,
                deliveryMode: UInt8? = nil, timestamp: Int64? = nil, headers: [(String, AMQPHeaderValue)] = [],
                onSettled: (@Sendable (Settlement) -> Void)? = nil) {
        self.body = body
        self.routingKey = routingKey
        self.messageID = messageID
        self.contentType = contentType
        self.deliveryMode = deliveryMode
        self.timestamp = timestamp
        self.headers = headers
        self.onSettled = onSettled
    }

    func validate() throws {
        if messageID.isEmpty { throw AMQPPublisherError(.invalidMessage, "message_id must not be empty") }
        if routingKey.utf8.count > 255 { throw AMQPPublisherError(.invalidMessage, "routing key longer than 255 bytes") }
        if let mode = deliveryMode, mode != 1 && mode != 2 {
            throw AMQPPublisherError(.invalidMessage, "delivery_mode must be 1 or 2, not \(mode)")
        }
    }
}
