/// A `channel.close` or `connection.close` the broker sent: what it closed, its reply code and
/// text, and the method it was answering, as typed data.
///
/// Decide on ``replyCode`` (or on ``fault``), never on ``replyText``: the text is for people.
public struct BrokerClose: Sendable, Hashable, CustomStringConvertible {
    /// What the broker closed.
    public enum Scope: Sendable, Hashable {
        /// `channel.close`: the channel ended, the connection could have gone on (this publisher
        /// still ends the connection: it has one channel).
        case channel
        /// `connection.close`: the whole connection ended.
        case connection
    }

    /// Who is at fault for a close, which decides what becomes of the messages in flight.
    public enum Fault: Sendable, Hashable {
        /// The link (permissions, a missing exchange, the broker, the connection itself): every
        /// message is kept and published again on the next connection.
        case connection
        /// One message can have caused it (for example one larger than the broker's
        /// `max_message_size`): the messages in flight are suspects, to be isolated.
        case message
    }

    /// An AMQP 0-9-1 reply code. Opaque, so that codes this type has no name for still compare and
    /// print; compare with the static members.
    public struct ReplyCode: Hashable, Sendable, CustomStringConvertible {
        /// The code on the wire.
        public let rawValue: UInt16

        /// The code `rawValue`.
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// 311: the message is larger than the broker accepts now.
        public static let contentTooLarge = ReplyCode(rawValue: 311)
        /// 320: an operator or the broker closed the connection (`close_connection`, shutdown).
        public static let connectionForced = ReplyCode(rawValue: 320)
        /// 402: an invalid virtual host name.
        public static let invalidPath = ReplyCode(rawValue: 402)
        /// 403: no permission (for example to write to the exchange).
        public static let accessRefused = ReplyCode(rawValue: 403)
        /// 404: the entity does not exist (for example the exchange was deleted).
        public static let notFound = ReplyCode(rawValue: 404)
        /// 405: an exclusive resource is used by another connection.
        public static let resourceLocked = ReplyCode(rawValue: 405)
        /// 406: the request breaks a precondition (for example a message over `max_message_size`).
        public static let preconditionFailed = ReplyCode(rawValue: 406)
        /// 501: a malformed frame.
        public static let frameError = ReplyCode(rawValue: 501)
        /// 502: a frame with bad field values.
        public static let syntaxError = ReplyCode(rawValue: 502)
        /// 503: an invalid sequence of frames.
        public static let commandInvalid = ReplyCode(rawValue: 503)
        /// 504: a channel used before it was opened or after it was closed.
        public static let channelError = ReplyCode(rawValue: 504)
        /// 505: a frame the broker did not expect.
        public static let unexpectedFrame = ReplyCode(rawValue: 505)
        /// 506: the broker ran out of a resource.
        public static let resourceError = ReplyCode(rawValue: 506)
        /// 530: the operation is not allowed (for example access to the virtual host).
        public static let notAllowed = ReplyCode(rawValue: 530)
        /// 540: the broker does not implement the request.
        public static let notImplemented = ReplyCode(rawValue: 540)
        /// 541: the broker failed internally.
        public static let internalError = ReplyCode(rawValue: 541)

        /// The constant's name in the AMQP specification (`ACCESS_REFUSED`), or `nil`.
        public var name: String? {
            switch rawValue {
            case 311: "CONTENT_TOO_LARGE"
            case 320: "CONNECTION_FORCED"
            case 402: "INVALID_PATH"
            case 403: "ACCESS_REFUSED"
            case 404: "NOT_FOUND"
            case 405: "RESOURCE_LOCKED"
            case 406: "PRECONDITION_FAILED"
            case 501: "FRAME_ERROR"
            case 502: "SYNTAX_ERROR"
            case 503: "COMMAND_INVALID"
            case 504: "CHANNEL_ERROR"
            case 505: "UNEXPECTED_FRAME"
            case 506: "RESOURCE_ERROR"
            case 530: "NOT_ALLOWED"
            case 540: "NOT_IMPLEMENTED"
            case 541: "INTERNAL_ERROR"
            default: nil
            }
        }

        /// `403 ACCESS_REFUSED`, or just the number for a code without a name.
        public var description: String { name.map { "\(rawValue) \($0)" } ?? "\(rawValue)" }
    }

    /// What the broker closed.
    public var scope: Scope
    /// The broker's reply code.
    public var replyCode: ReplyCode
    /// The broker's reply text (RabbitMQ starts it with the code's name), for people only.
    public var replyText: String
    /// The class of the method that caused the close (0 when none did).
    public var classID: UInt16
    /// The method that caused the close (0 when none did).
    public var methodID: UInt16

    /// Creates a close as the broker sent it.
    public init(scope: Scope, replyCode: ReplyCode, replyText: String, classID: UInt16 = 0, methodID: UInt16 = 0) {
        self.scope = scope
        self.replyCode = replyCode
        self.replyText = replyText
        self.classID = classID
        self.methodID = methodID
    }

    /// Who is at fault, from the scope and the reply code only (docs/delivery.md, "Broker
    /// refusals", has the table).
    ///
    /// Only a channel closed with 406 PRECONDITION_FAILED or 311 CONTENT_TOO_LARGE blames a
    /// message: those are the closes one message's size or properties cause. Every other close,
    /// and every close of the connection (frame errors included: the stream is broken, not a
    /// message), is the link's fault, and so is a code this type does not know: keeping a message
    /// costs a retry, discarding a good one loses it.
    public var fault: Fault {
        guard scope == .channel else { return .connection }
        switch replyCode {
        case .preconditionFailed, .contentTooLarge: return .message
        default: return .connection
        }
    }

    /// The code and the text: `403 ACCESS_REFUSED - access to exchange ...` (RabbitMQ's text
    /// starts with the code's name: it is said once).
    public var reply: String {
        guard !replyText.isEmpty else { return replyCode.description }
        if let name = replyCode.name, replyText.hasPrefix(name) {
            return replyCode.description + replyText.dropFirst(name.count)
        }
        return "\(replyCode) \(replyText)"
    }

    /// `channel closed: 403 ACCESS_REFUSED - access to exchange ...`.
    public var description: String { "\(scope == .channel ? "channel" : "connection") closed: \(reply)" }
}
