import CRabbitMQ
import Durations
import Glibc

/// One open rabbitmq-c connection with channel 1 in confirm mode. Owns the C state and destroys
/// it in `deinit`. Not thread-safe: it lives and dies on its connection thread.
final class RabbitConnection {
    /// A frame from the broker that the connection loop acts on.
    enum Incoming {
        case ack(tag: UInt64, multiple: Bool)
        case nack(tag: UInt64, multiple: Bool)
        case returned(messageID: String, replyCode: UInt16, replyText: String, routingKey: String)
        case blocked(reason: String)
        case unblocked
        case other
    }

    static let channel: amqp_channel_t = 1
    private let state: amqp_connection_state_t
    let endpoint: AMQPEndpoint
    private let exchange: CArena
    private let exchangeBytes: amqp_bytes_t
    /// The per-message properties' memory, reused (no allocation per publish).
    private let scratch = PublishScratch()
    private let rpcTimeout: Duration
    /// The encoder of whole batches (``publish(_:mandatory:persistent:stallLimit:progress:)``) on
    /// a plain-TCP connection, made once `frame_max` is negotiated; `nil` on TLS.
    private(set) var frames: PublishFrames?
    private var frame = amqp_frame_t()

    /// Connects, logs in, opens channel 1, selects confirms and declares the exchange.
    /// - Parameter socket: told the descriptor once the socket is open (so that the handshake can be
    ///   cut short with `shutdown()`), and `nil` before a failed handshake closes it.
    /// - Throws: ``AMQPPublisherError`` naming the redacted endpoint.
    init(endpoint: AMQPEndpoint, configuration: AMQPConfiguration, socket: (Int32?) -> Void) throws {
        self.endpoint = endpoint
        self.rpcTimeout = configuration.rpcTimeout
        guard let state = amqp_new_connection() else {
            throw AMQPPublisherError(.connectFailed, "out of memory creating a connection")
        }
        self.state = state
        exchange = CArena()
        exchangeBytes = exchange.bytes(configuration.exchange)
        var announced = false
        do {
            try open(configuration) { descriptor in
                announced = true
                socket(descriptor)
            }
        } catch {
            if announced { socket(nil) }  // before `deinit` closes the descriptor
            throw error
        }
        if !endpoint.isTLS {
            frames = PublishFrames(channel: Self.channel, frameMax: Int(amqp_get_frame_max(state)), exchange: exchangeBytes, scratch: scratch)
        }
    }

    deinit {
        amqp_destroy_connection(state)
    }

    /// The socket, for `shutdown()` from the watchdog; -1 when there is none.
    var socketDescriptor: Int32 { amqp_get_sockfd(state) }

    private func open(_ configuration: AMQPConfiguration, opened: (Int32) -> Void) throws {
        let socket = try makeSocket(configuration.tls)
        var handshake = timeval(configuration.handshakeTimeout)
        var rpc = timeval(configuration.rpcTimeout)
        try check(amqp_set_handshake_timeout(state, &handshake), .connectFailed, "setting the handshake timeout")
        try check(amqp_set_rpc_timeout(state, &rpc), .connectFailed, "setting the RPC timeout")
        var connect = timeval(configuration.connectTimeout)
        try check(amqp_socket_open_noblock(socket, endpoint.host, Int32(endpoint.port), &connect), .connectFailed, "connecting")
        opened(amqp_get_sockfd(state))

        let properties = CArena()
        var table = properties.table([
            ("product", .header(.string("edge-video AMQPPublisher"))),
            ("platform", .header(.string("Swift / rabbitmq-c 0.11"))),
            ("connection_name", .header(.string(configuration.connectionName))),
            ("capabilities", .table([
                ("publisher_confirms", .header(.bool(true))),
                ("basic.nack", .header(.bool(true))),
                ("connection.blocked", .header(.bool(true))),
                ("authentication_failure_close", .header(.bool(true))),
            ])),
        ])
        let heartbeat = configuration.heartbeat > .zero ? max(1, Int32((configuration.heartbeat.nanoseconds + 999_999_999) / 1_000_000_000)) : 0
        let login = CRabbitMQ_login_plain(state, endpoint.vhost, 2, 131_072, heartbeat, &table, endpoint.user, endpoint.password)
        try check(login, .connectFailed, "logging in")

        amqp_channel_open(state, Self.channel)
        try check(amqp_get_rpc_reply(state), .brokerRefused, "opening channel 1")
        amqp_confirm_select(state, Self.channel)
        try check(amqp_get_rpc_reply(state), .brokerRefused, "confirm.select")
        if !configuration.exchange.isEmpty {
            let type = properties.bytes(configuration.exchangeType.rawValue)
            amqp_exchange_declare(state, Self.channel, exchangeBytes, type,
                                  0, configuration.exchangeDurable ? 1 : 0, 0, 0, amqp_empty_table)
            try check(amqp_get_rpc_reply(state), .brokerRefused, "declaring exchange \"\(configuration.exchange)\"")
        }
    }

    private func makeSocket(_ tls: AMQPConfiguration.TLS) throws -> OpaquePointer {
        guard endpoint.isTLS else {
            guard let socket = amqp_tcp_socket_new(state) else { throw AMQPPublisherError(.connectFailed, "cannot create a socket") }
            return socket
        }
        guard let socket = amqp_ssl_socket_new(state) else { throw AMQPPublisherError(.tlsFailed, "cannot create a TLS socket") }
        if let ca = tls.caCertificatePath {
            try check(amqp_ssl_socket_set_cacert(socket, ca), .tlsFailed, "loading CA file \(ca)")
        } else if CRabbitMQ_ssl_use_default_verify_paths(socket) != 0 {
            throw AMQPPublisherError(.tlsFailed, "cannot load the system's certificate authorities for \(endpoint)")
        }
        CRabbitMQ_ssl_record_verify_errors(socket)
        if let cert = tls.clientCertificatePath, let key = tls.clientKeyPath {
            try check(amqp_ssl_socket_set_key(socket, cert, key), .tlsFailed, "loading client certificate \(cert) and key \(key)")
        }
        amqp_ssl_socket_set_verify_peer(socket, tls.verifyPeer ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, tls.verifyHostname ? 1 : 0)
        return socket
    }

    /// Sends one `basic.publish` with its content through rabbitmq-c (three `send`s). Blocks while
    /// the socket is full. TLS connections publish this way; plain TCP ones write whole batches
    /// (``publish(_:mandatory:persistent:stallLimit:progress:)``).
    func publish(_ message: OutgoingMessage, mandatory: Bool, persistent: Bool) throws {
        var properties = scratch.properties(of: message, persistent: persistent)
        let routingKey = scratch.bytes(message.routingKey)
        let status = message.body.withUnsafeBytes { body in
            amqp_basic_publish(state, Self.channel, exchangeBytes, routingKey, mandatory ? 1 : 0, 0, &properties,
                               amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
        }
        try check(status, .connectionLost, "publishing")
    }

    /// The next frame from the broker, or `nil` if none arrives within `timeout`.
    /// - Throws: ``AMQPPublisherError`` when the connection is gone or the broker closed it.
    func nextFrame(timeout: Duration) throws -> Incoming? {
        var limit = timeval(timeout)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &limit)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        try check(status, .connectionLost, "reading from the broker")
        guard frame.frame_type == AMQP_FRAME_METHOD else { return .other }
        let method = frame.payload.method
        switch method.id {
        case AMQP_BASIC_ACK_METHOD:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            return .ack(tag: ack.delivery_tag, multiple: ack.multiple != 0)
        case AMQP_BASIC_NACK_METHOD:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            return .nack(tag: nack.delivery_tag, multiple: nack.multiple != 0)
        case AMQP_BASIC_RETURN_METHOD:
            let ret = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            let text = String(amqpBytes: ret.reply_text), key = String(amqpBytes: ret.routing_key)
            return .returned(messageID: try readReturnedContent(), replyCode: ret.reply_code, replyText: text, routingKey: key)
        case AMQP_CONNECTION_BLOCKED_METHOD:
            let blocked = method.decoded.assumingMemoryBound(to: amqp_connection_blocked_t.self).pointee
            return .blocked(reason: String(amqpBytes: blocked.reason))
        case AMQP_CONNECTION_UNBLOCKED_METHOD:
            return .unblocked
        case AMQP_CONNECTION_CLOSE_METHOD:
            let close = BrokerClose(method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee)
            var ok = amqp_connection_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok)
            throw AMQPPublisherError(.connectionLost, "connection closed by broker \(endpoint): \(close.reply)", brokerClose: close)
        case AMQP_CHANNEL_CLOSE_METHOD:
            let close = BrokerClose(method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee)
            var ok = amqp_channel_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, Self.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok)
            throw AMQPPublisherError(.brokerRefused, "channel closed by broker \(endpoint): \(close.reply)", brokerClose: close)
        default:
            return .other
        }
    }

    /// Reads the header and body frames that follow `basic.return`; returns the `message_id`.
    private func readReturnedContent() throws -> String {
        var limit = timeval(rpcTimeout)
        try check(amqp_simple_wait_frame_noblock(state, &frame, &limit), .connectionLost, "reading a returned message")
        guard frame.frame_type == AMQP_FRAME_HEADER else {
            throw AMQPPublisherError(.connectionLost, "unexpected frame \(frame.frame_type) after basic.return")
        }
        let properties = frame.payload.properties.decoded.assumingMemoryBound(to: amqp_basic_properties_t.self).pointee
        let messageID = properties._flags & amqp_flags_t(AMQP_BASIC_MESSAGE_ID_FLAG) != 0 ? String(amqpBytes: properties.message_id) : ""
        var remaining = frame.payload.properties.body_size
        while remaining > 0 {
            limit = timeval(rpcTimeout)
            try check(amqp_simple_wait_frame_noblock(state, &frame, &limit), .connectionLost, "reading a returned message")
            guard frame.frame_type == AMQP_FRAME_BODY else {
                throw AMQPPublisherError(.connectionLost, "unexpected frame \(frame.frame_type) in a returned message")
            }
            remaining -= min(remaining, UInt64(frame.payload.body_fragment.len))
        }
        return messageID
    }

    /// Holds back partial TCP segments while `on` (`TCP_CORK`), so a batch of publishes goes out in
    /// full segments; turning it off sends what is held at once.
    func cork(_ on: Bool) {
        var flag: Int32 = on ? 1 : 0
        _ = setsockopt(socketDescriptor, Int32(IPPROTO_TCP), TCP_CORK, &flag, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Frees decoding memory once no frames are pending.
    func releaseBuffers() { amqp_maybe_release_buffers(state) }

    /// Whether undecoded bytes are buffered (then the socket may not poll readable).
    var hasBufferedInput: Bool { amqp_data_in_buffer(state) != 0 || amqp_frames_enqueued(state) != 0 }

    /// Closes channel and connection politely, bounded by the RPC timeout.
    func close() {
        _ = amqp_channel_close(state, Self.channel, AMQP_REPLY_SUCCESS)
        _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
    }
}
