/// An error from the AMQP publisher. Its message never contains a password.
///
/// The `code` is opaque so that new kinds of failure don't break the API; compare it with the
/// static members of ``Code``.
public struct AMQPPublisherError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidURL = "invalid URL"
            case invalidConfiguration = "invalid configuration"
            case invalidMessage = "invalid message"
            case connectFailed = "connect failed"
            case authenticationFailed = "authentication failed"
            case tlsFailed = "TLS failed"
            case brokerRefused = "broker refused"
            case connectionLost = "connection lost"
            case confirmTimeout = "confirm timeout"
            case watchdogTimeout = "watchdog timeout"
            case closed = "closed"
            case misuse = "misuse"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A URL that could not be parsed, or with an unsupported scheme.
        public static let invalidURL = Code(.invalidURL)
        /// A configuration value out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A message that cannot be published (for example an empty `messageID`).
        public static let invalidMessage = Code(.invalidMessage)
        /// No URL could be reached (DNS, refused, connect timeout, handshake timeout).
        public static let connectFailed = Code(.connectFailed)
        /// The broker refused the user name or password.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The TLS set-up or handshake failed (files, verification).
        public static let tlsFailed = Code(.tlsFailed)
        /// The broker refused an operation (vhost access, exchange declare, channel closed); the
        /// error's ``AMQPPublisherError/brokerClose`` says how.
        public static let brokerRefused = Code(.brokerRefused)
        /// The connection ended: socket error, heartbeat timeout, closed by the broker.
        public static let connectionLost = Code(.connectionLost)
        /// A published message was not confirmed within the confirm timeout.
        public static let confirmTimeout = Code(.confirmTimeout)
        /// A socket call was stuck for longer than twice the heartbeat and was cut off.
        public static let watchdogTimeout = Code(.watchdogTimeout)
        /// The connection was closed by its owner (the end of its generation's scope).
        public static let closed = Code(.closed)
        /// The API was used in the wrong order (for example connecting twice).
        public static let misuse = Code(.misuse)

        /// A short name of the code.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A human-readable explanation; URLs in it are redacted.
    public let message: String
    /// The broker's `channel.close` or `connection.close` that ended the connection, when the
    /// broker closed it: decide on this, never on ``message``.
    public let brokerClose: BrokerClose?

    /// Creates an error.
    /// - Parameters:
    ///   - code: What kind of failure this is.
    ///   - message: A human-readable explanation; redact every URL in it (it must never hold a
    ///     password).
    ///   - brokerClose: The broker's close, when the broker ended the connection.
    public init(_ code: Code, _ message: String, brokerClose: BrokerClose? = nil) {
        self.code = code
        self.message = message
        self.brokerClose = brokerClose
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
