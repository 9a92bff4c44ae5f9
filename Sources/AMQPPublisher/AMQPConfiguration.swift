import SecretRedaction

/// How a ``PublisherConnection`` connects and publishes.
///
/// Every field has a default except the URLs and the exchange. Call ``validate()`` (or let
/// ``PublisherConnection/withGeneration(configuration:counters:carrying:logger:gracePeriod:_:)`` do it) to get every problem as a clear error.
public struct AMQPConfiguration: Sendable {
    /// TLS files and checks for `amqps://` URLs.
    public struct TLS: Sendable, Hashable {
        /// PEM file of the CAs to trust; `nil` trusts the system's, found as OpenSSL does (`SSL_CERT_FILE`,
        /// `SSL_CERT_DIR`, else the default file and directory).
        public var caCertificatePath: String?
        /// PEM client certificate, for brokers that ask for one.
        public var clientCertificatePath: String?
        /// PEM private key of the client certificate.
        public var clientKeyPath: String?
        /// Verify the broker's certificate chain.
        public var verifyPeer: Bool
        /// Verify that the certificate names the host of the URL.
        public var verifyHostname: Bool

        /// Creates TLS options; peer and hostname verification are on by default.
        public init(caCertificatePath: String? = nil, clientCertificatePath: String? = nil,
                    clientKeyPath: String? = nil, verifyPeer: Bool = true, verifyHostname: Bool = true) {
            self.caCertificatePath = caCertificatePath
            self.clientCertificatePath = clientCertificatePath
            self.clientKeyPath = clientKeyPath
            self.verifyPeer = verifyPeer
            self.verifyHostname = verifyHostname
        }
    }

    /// Broker URLs, tried in turn on each connect (a cluster).
    public var urls: [String]
    /// TLS options, used by `amqps://` URLs.
    public var tls: TLS
    /// The exchange messages are published to; declared on connect. Empty means the default exchange (not declared).
    public var exchange: String
    /// The exchange type.
    public var exchangeType: ExchangeType
    /// Declare the exchange durable.
    public var exchangeDurable: Bool
    /// The heartbeat asked of the broker; `.zero` disables heartbeats.
    public var heartbeat: Duration
    /// Limit on opening the TCP connection, per URL.
    public var connectTimeout: Duration
    /// Limit on the AMQP (and TLS) handshake and login, per URL.
    public var handshakeTimeout: Duration
    /// Limit on each RPC (channel open, confirm.select, exchange.declare, close).
    public var rpcTimeout: Duration
    /// A message unconfirmed for longer than this tears the connection down. At least ``heartbeatTimeout``.
    public var confirmTimeout: Duration
    /// Most messages accepted but not yet settled; publishers wait at the limit.
    public var windowCount: Int
    /// Most body bytes accepted but not yet settled; a single larger message is still let through alone.
    public var windowBytes: Int
    /// Publish with `mandatory`: unroutable messages come back (counted as `returned`).
    public var mandatory: Bool
    /// Default `delivery_mode` 2 (persistent) for messages that don't set one.
    public var persistent: Bool
    /// The `connection_name` client property, shown by `rabbitmqctl list_connections client_properties`;
    /// its first 15 bytes also name the connection thread (`top -H`) unless ``threadName`` is set.
    public var connectionName: String
    /// The connection thread's name (first 15 bytes kept); `nil` uses ``connectionName``.
    public var threadName: String?

    /// An AMQP 0-9-1 exchange type; the raw value is its name on the wire.
    public enum ExchangeType: String, Sendable, Hashable, CaseIterable {
        /// `topic`: routed by pattern on the routing key.
        case topic
        /// `direct`: routed by the exact routing key.
        case direct
        /// `fanout`: routed to every bound queue.
        case fanout
        /// `headers`: routed by the message's headers.
        case headers
    }

    /// Creates a configuration with the defaults of edge-video.
    public init(urls: [String], exchange: String, exchangeType: ExchangeType = .topic, exchangeDurable: Bool = true,
                tls: TLS = TLS(), heartbeat: Duration = .seconds(10), connectTimeout: Duration = .seconds(5),
                handshakeTimeout: Duration = .seconds(10), rpcTimeout: Duration = .seconds(10),
                confirmTimeout: Duration = .seconds(30), windowCount: Int = 64, windowBytes: Int = 64 << 20,
                mandatory: Bool = true, persistent: Bool = true, connectionName: String = "edge-video",
                threadName: String? = nil) {
        self.urls = urls
        self.exchange = exchange
        self.exchangeType = exchangeType
        self.exchangeDurable = exchangeDurable
        self.tls = tls
        self.heartbeat = heartbeat
        self.connectTimeout = connectTimeout
        self.handshakeTimeout = handshakeTimeout
        self.rpcTimeout = rpcTimeout
        self.confirmTimeout = confirmTimeout
        self.windowCount = windowCount
        self.windowBytes = windowBytes
        self.mandatory = mandatory
        self.persistent = persistent
        self.connectionName = connectionName
        self.threadName = threadName
    }

    /// The shortest heartbeat other than zero. AMQP counts heartbeats in whole seconds, and the
    /// watchdog cuts any socket call longer than two heartbeats, so a shorter one would cut publishes.
    public static let minimumHeartbeat = Duration.seconds(1)
    /// The longest heartbeat AMQP can express.
    public static let maximumHeartbeat = Duration.seconds(65535)
    /// The longest routing key (an AMQP short string).
    public static let maximumRoutingKeyBytes = 255

    /// Two heartbeat intervals: how long a silent peer is tolerated, and the watchdog's limit on a stuck call.
    public var heartbeatTimeout: Duration { heartbeat * 2 }

    /// How long the watchdog lets one socket call run before it shuts the socket down.
    var watchdogLimit: Duration { heartbeat > .zero ? heartbeatTimeout : confirmTimeout }

    /// The parsed URLs.
    /// - Throws: ``AMQPPublisherError`` with code `invalidConfiguration` or `invalidURL` listing every problem.
    @discardableResult
    public func validate() throws -> [AMQPEndpoint] {
        var problems: [String] = []
        var endpoints: [AMQPEndpoint] = []
        if urls.isEmpty { problems.append("no AMQP URL given") }
        for url in urls {
            do { endpoints.append(try AMQPEndpoint(url: url)) } catch let error as AMQPPublisherError {
                problems.append(error.message)
            }
        }
        if heartbeat != .zero && !(Self.minimumHeartbeat...Self.maximumHeartbeat).contains(heartbeat) {
            problems.append("heartbeat must be 0 (off) or 1...65535 s")
        }
        for (name, value) in [("connect", connectTimeout), ("handshake", handshakeTimeout), ("rpc", rpcTimeout)]
        where value <= .zero {
            problems.append("\(name) timeout must be positive")
        }
        if confirmTimeout <= .zero || confirmTimeout < heartbeatTimeout {
            problems.append("confirm timeout \(confirmTimeout) must be positive and at least the heartbeat timeout \(heartbeatTimeout)")
        }
        if windowCount < 1 { problems.append("window count must be at least 1") }
        if windowBytes < 1 { problems.append("window bytes must be at least 1") }
        guard problems.isEmpty else {
            let code: AMQPPublisherError.Code = endpoints.count == urls.count ? .invalidConfiguration : .invalidURL
            throw AMQPPublisherError(code, problems.joined(separator: "; "))
        }
        return endpoints
    }
}

extension AMQPConfiguration: CustomStringConvertible, CustomDebugStringConvertible {
    /// A summary with every URL redacted, safe to log.
    public var description: String {
        "AMQPConfiguration(urls: \(urls.map { Redaction.redactingSecrets(in: $0) }), exchange: \(exchange) (\(exchangeType)), heartbeat: \(heartbeat), "
            + "window: \(windowCount) msgs / \(windowBytes) bytes, mandatory: \(mandatory), persistent: \(persistent))"
    }

    /// Same as ``description``: passwords never reach a debug print either.
    public var debugDescription: String { description }
}
