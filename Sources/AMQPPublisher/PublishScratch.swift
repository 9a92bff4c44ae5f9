import CRabbitMQ

/// Reusable C memory for the properties of one `basic.publish`: the strings (message id, content
/// type, routing key, header keys and values) are copied into one byte buffer and the header
/// table into one entry array, both kept and grown by the connection, so publishing a message
/// allocates nothing here (``CArena`` holds what lives as long as the connection).
///
/// Used on the connection thread only; everything handed out is valid until the next ``reset``.
final class PublishScratch {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var used = 0
    private var entries: UnsafeMutablePointer<amqp_table_entry_t>
    private var entryCapacity: Int

    init(capacity: Int = 512, entryCapacity: Int = 8) {
        self.capacity = capacity
        self.entryCapacity = entryCapacity
        storage = .allocate(byteCount: capacity, alignment: 16)
        entries = .allocate(capacity: entryCapacity)
    }

    deinit {
        storage.deallocate()
        entries.deallocate()
    }

    /// Starts a message: room for `byteCount` bytes of strings and `headerCount` header entries.
    /// Invalidates everything handed out before.
    func reset(byteCount: Int, headerCount: Int) {
        used = 0
        if byteCount > capacity {
            storage.deallocate()
            capacity = max(byteCount, capacity * 2)
            storage = .allocate(byteCount: capacity, alignment: 16)
        }
        if headerCount > entryCapacity {
            entries.deallocate()
            entryCapacity = max(headerCount, entryCapacity * 2)
            entries = .allocate(capacity: entryCapacity)
        }
    }

    /// Starts a message and returns its properties, the one place that says how an
    /// ``OutgoingMessage`` becomes `basic.publish` properties: `message_id`, `delivery_mode`
    /// (the message's, else 2 when `persistent`, else 1), and `content_type`, `timestamp` and
    /// `headers` when the message has them. Room for the routing key is kept: take it next with
    /// ``bytes(_:)``. Invalidates everything handed out before.
    func properties(of message: OutgoingMessage, persistent: Bool) -> amqp_basic_properties_t {
        reset(byteCount: Self.byteCount(of: message), headerCount: message.headers.count)
        var properties = amqp_basic_properties_t()
        properties._flags = amqp_flags_t(AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG)
        properties.message_id = bytes(message.messageID)
        properties.delivery_mode = message.deliveryMode ?? (persistent ? 2 : 1)
        if let contentType = message.contentType {
            properties._flags |= amqp_flags_t(AMQP_BASIC_CONTENT_TYPE_FLAG)
            properties.content_type = bytes(contentType)
        }
        if let timestamp = message.timestamp {
            properties._flags |= amqp_flags_t(AMQP_BASIC_TIMESTAMP_FLAG)
            properties.timestamp = UInt64(bitPattern: timestamp)
        }
        if !message.headers.isEmpty {
            properties._flags |= amqp_flags_t(AMQP_BASIC_HEADERS_FLAG)
            properties.headers = headers(message.headers)
        }
        return properties
    }

    /// The bytes of strings in `message` that ``bytes(_:)`` will copy, for ``reset(byteCount:headerCount:)``.
    static func byteCount(of message: OutgoingMessage) -> Int {
        var total = message.messageID.utf8.count + message.routingKey.utf8.count + (message.contentType?.utf8.count ?? 0)
        for (key, value) in message.headers {
            total += key.utf8.count
            if case .string(let text) = value { total += text.utf8.count }
        }
        return total
    }

    /// `text` as `amqp_bytes_t` (not NUL-terminated; AMQP strings carry their length).
    func bytes(_ text: String) -> amqp_bytes_t {
        var text = text
        return text.withUTF8 { utf8 in
            precondition(used + utf8.count <= capacity, "PublishScratch.reset was given too few bytes")
            let start = storage + used
            if let base = utf8.baseAddress { start.copyMemory(from: base, byteCount: utf8.count) }
            used += utf8.count
            return amqp_bytes_t(len: utf8.count, bytes: start)
        }
    }

    /// `headers` as an AMQP field table.
    func headers(_ headers: [(String, AMQPHeaderValue)]) -> amqp_table_t {
        guard !headers.isEmpty else { return amqp_table_t(num_entries: 0, entries: nil) }
        precondition(headers.count <= entryCapacity, "PublishScratch.reset was given too few headers")
        for (i, (key, value)) in headers.enumerated() {
            var field = amqp_field_value_t()
            switch value {
            case .string(let text):
                field.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
                field.value.bytes = bytes(text)
            case .int64(let number):
                field.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
                field.value.i64 = number
            case .int32(let number):
                field.kind = UInt8(AMQP_FIELD_KIND_I32.rawValue)
                field.value.i32 = number
            case .bool(let flag):
                field.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
                field.value.boolean = flag ? 1 : 0
            }
            (entries + i).initialize(to: amqp_table_entry_t(key: bytes(key), value: field))
        }
        return amqp_table_t(num_entries: Int32(headers.count), entries: entries)
    }
}
