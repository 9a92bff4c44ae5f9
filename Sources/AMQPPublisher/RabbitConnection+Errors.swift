import CRabbitMQ
import Durations
import Glibc

extension RabbitConnection {
    /// Maps a rabbitmq-c status to an error; the one place that reads C status codes.
    func check(_ status: Int32, _ code: AMQPPublisherError.Code, _ what: String) throws {
        guard status != AMQP_STATUS_OK.rawValue else { return }
        let osError = errno
        var text = String(cString: amqp_error_string2(status))
        if status == AMQP_STATUS_SOCKET_ERROR.rawValue || status == AMQP_STATUS_TCP_ERROR.rawValue,
           osError != 0, osError != EINPROGRESS, osError != EAGAIN {
            text += " (\(String(cString: strerror(osError))))"
        }
        let finalCode: AMQPPublisherError.Code
        switch amqp_status_enum(rawValue: status) {
        case AMQP_STATUS_SSL_ERROR, AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED, AMQP_STATUS_SSL_PEER_VERIFY_FAILED,
             AMQP_STATUS_SSL_CONNECTION_FAILED:
            finalCode = .tlsFailed
            if let reason = CRabbitMQ_ssl_take_verify_error() {
                text += " (certificate rejected: \(String(cString: reason)))"
            }
        case AMQP_STATUS_HEARTBEAT_TIMEOUT, AMQP_STATUS_CONNECTION_CLOSED, AMQP_STATUS_SOCKET_CLOSED:
            finalCode = code == .connectFailed ? .connectFailed : .connectionLost
        default:
            finalCode = code
        }
        throw AMQPPublisherError(finalCode, "\(what) \(endpoint): \(text)")
    }

    /// Maps an RPC reply to an error; a server exception carries the broker's code and text.
    func check(_ reply: amqp_rpc_reply_t, _ code: AMQPPublisherError.Code, _ what: String) throws {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            try check(reply.library_error, code, what)
            throw AMQPPublisherError(code, "\(what) \(endpoint): library error")
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            guard let close = serverException(reply) else {
                throw AMQPPublisherError(code == .connectFailed ? .brokerRefused : code, "\(what) \(endpoint): broker answered method \(reply.reply.id)")
            }
            let finalCode: AMQPPublisherError.Code =
                close.replyCode == .accessRefused && what == "logging in" ? .authenticationFailed : code == .connectFailed ? .brokerRefused : code
            throw AMQPPublisherError(finalCode, "\(what) \(endpoint): broker said \(close.reply)", brokerClose: close)
        default:
            throw AMQPPublisherError(code, "\(what) \(endpoint): no reply")
        }
    }

    /// The close a server exception carries; `nil` if the broker answered with another method.
    private func serverException(_ reply: amqp_rpc_reply_t) -> BrokerClose? {
        switch reply.reply.id {
        case AMQP_CONNECTION_CLOSE_METHOD:
            BrokerClose(reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee)
        case AMQP_CHANNEL_CLOSE_METHOD:
            BrokerClose(reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee)
        default:
            nil
        }
    }
}

extension BrokerClose {
    /// The broker's `connection.close`.
    init(_ close: amqp_connection_close_t) {
        self.init(
            scope: .connection, replyCode: ReplyCode(rawValue: close.reply_code), replyText: String(amqpBytes: close.reply_text),
            classID: close.class_id, methodID: close.method_id)
    }

    /// The broker's `channel.close`.
    init(_ close: amqp_channel_close_t) {
        self.init(
            scope: .channel, replyCode: ReplyCode(rawValue: close.reply_code), replyText: String(amqpBytes: close.reply_text),
            classID: close.class_id, methodID: close.method_id)
    }
}

extension timeval {
    /// A C `timeval` from a duration (negative counts as zero).
    init(_ duration: Duration) {
        let micros = max(0, duration.microseconds)
        self.init(tv_sec: Int(micros / 1_000_000), tv_usec: Int(micros % 1_000_000))
    }
}
