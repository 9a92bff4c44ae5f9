@testable import AMQPPublisher
import CRabbitMQ
import Glibc

/// A plain rabbitmq-c client for test set-up and checks: declare, bind, purge, read back.
/// Blocking: use it inside ``onThread(_:)``.
final class BrokerClient {
    /// One message read back from a queue.
    struct Received: Sendable {
        var messageID: String
        var contentType: String
        var deliveryMode: UInt8
        var timestamp: UInt64
        var headers: [String: AMQPHeaderValue]
        var bodySize: Int
        var body: [UInt8]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let state: amqp_connection_state_t

    init(port: Int = 5672) throws {
        state = amqp_new_connection()
        let socket = amqp_tcp_socket_new(state)
        guard amqp_socket_open(socket, "127.0.0.1", Int32(port)) == AMQP_STATUS_OK.rawValue else {
            amqp_destroy_connection(state)
            throw Failure(description: "cannot connect to 127.0.0.1:\(port)")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        amqp_set_rpc_timeout(state, &timeout)
        var properties = amqp_empty_table
        try check(CRabbitMQ_login_plain(state, "/", 0, 131_072, 0, &properties, "guest", "guest"), "login")
        amqp_channel_open(state, 1)
        try check(amqp_get_rpc_reply(state), "channel.open")
    }

    deinit {
        _ = amqp_channel_close(state, 1, AMQP_REPLY_SUCCESS)
        _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        amqp_destroy_connection(state)
    }

    func declareExchange(_ name: String, type: String = "topic") throws {
        let arena = CArena()
        amqp_exchange_declare(state, 1, arena.bytes(name), arena.bytes(type), 0, 1, 0, 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "exchange.declare")
    }

    /// Declares a durable queue bound to `exchange` with `key`, and purges it.
    func declareQueue(_ name: String, exchange: String, key: String, arguments: [(String, AMQPHeaderValue)] = []) throws {
        let arena = CArena()
        amqp_queue_declare(state, 1, arena.bytes(name), 0, 1, 0, 0, arena.headers(arguments))
        try check(amqp_get_rpc_reply(state), "queue.declare")
        try bind(name, exchange: exchange, key: key)
        amqp_queue_purge(state, 1, arena.bytes(name))
        try check(amqp_get_rpc_reply(state), "queue.purge")
    }

    /// Binds `queue` to `exchange` with `key` again (an idempotent `queue.bind`, as a consumer
    /// does when it reconnects).
    func bind(_ queue: String, exchange: String, key: String) throws {
        let arena = CArena()
        amqp_queue_bind(state, 1, arena.bytes(queue), arena.bytes(exchange), arena.bytes(key), amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "queue.bind")
    }

    /// Deletes the queue (if named) and the exchange.
    func delete(queue: String = "", exchange: String) {
        let arena = CArena()
        if !queue.isEmpty { amqp_queue_delete(state, 1, arena.bytes(queue), 0, 0) }
        amqp_exchange_delete(state, 1, arena.bytes(exchange), 0)
    }

    /// Takes every message out of `queue` (basic.get with no-ack), in queue order.
    func drain(_ queue: String) throws -> [Received] {
        let arena = CArena()
        var result: [Received] = []
        while true {
            let reply = amqp_basic_get(state, 1, arena.bytes(queue), 1)
            try check(reply, "basic.get")
            guard reply.reply.id == AMQP_BASIC_GET_OK_METHOD else { return result }
            var message = amqp_message_t()
            try check(amqp_read_message(state, 1, &message, 0), "read message")
            defer { amqp_destroy_message(&message) }
            let p = message.properties
            var headers: [String: AMQPHeaderValue] = [:]
            for i in 0..<Int(p.headers.num_entries) {
                let entry = p.headers.entries[i]
                let key = String(amqpBytes: entry.key)
                switch Int(entry.value.kind) {
                case Int(AMQP_FIELD_KIND_UTF8.rawValue), Int(AMQP_FIELD_KIND_BYTES.rawValue):
                    headers[key] = .string(String(amqpBytes: entry.value.value.bytes))
                case Int(AMQP_FIELD_KIND_I64.rawValue): headers[key] = .int64(entry.value.value.i64)
                case Int(AMQP_FIELD_KIND_I32.rawValue): headers[key] = .int32(entry.value.value.i32)
                case Int(AMQP_FIELD_KIND_BOOLEAN.rawValue): headers[key] = .bool(entry.value.value.boolean != 0)
                default: break
                }
            }
            result.append(Received(
                messageID: String(amqpBytes: p.message_id), contentType: String(amqpBytes: p.content_type),
                deliveryMode: p.delivery_mode, timestamp: p.timestamp, headers: headers, bodySize: message.body.len,
                body: message.body.len == 0 ? [] : [UInt8](UnsafeRawBufferPointer(start: message.body.bytes, count: message.body.len))))
        }
    }

    private func check(_ reply: amqp_rpc_reply_t, _ what: String) throws {
        guard reply.reply_type == AMQP_RESPONSE_NORMAL else {
            var detail = "library error \(reply.library_error)"
            if reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION, reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD {
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                detail = "\(close.reply_code) \(String(amqpBytes: close.reply_text))"
            } else if reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION, reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD {
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                detail = "\(close.reply_code) \(String(amqpBytes: close.reply_text))"
            }
            throw Failure(description: "\(what) failed: \(detail)")
        }
    }
}

/// Runs `body` with a fresh ``BrokerClient`` on its own thread.
func withBroker<T: Sendable>(port: Int = 5672, _ body: @escaping @Sendable (BrokerClient) throws -> T) async throws -> T {
    try await onThread { try body(try BrokerClient(port: port)) }
}
