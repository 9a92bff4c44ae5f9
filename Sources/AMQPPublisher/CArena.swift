import CRabbitMQ
import Glibc

/// Owns the C memory behind the strings and tables handed to rabbitmq-c calls made once per
/// connection (login properties, the exchange name, the tests' broker client); frees it in
/// `deinit`. Per-message properties use the connection's reused ``PublishScratch`` instead.
///
/// Used on the connection thread only.
final class CArena {
    /// A value in a table built here: a header value or a nested table (client capabilities).
    enum Value {
        case header(AMQPHeaderValue)
        case table([(String, Value)])
    }

    private var allocations: [UnsafeMutableRawPointer] = []

    init() {}

    deinit {
        for pointer in allocations { free(pointer) }
    }

    /// A NUL-terminated copy of `text`, alive as long as the arena.
    func cString(_ text: String) -> UnsafeMutablePointer<CChar> {
        let copy = strdup(text)!
        allocations.append(UnsafeMutableRawPointer(copy))
        return copy
    }

    /// `text` as `amqp_bytes_t`, alive as long as the arena.
    func bytes(_ text: String) -> amqp_bytes_t {
        let copy = cString(text)
        return amqp_bytes_t(len: strlen(copy), bytes: UnsafeMutableRawPointer(copy))
    }

    /// `entries` as an AMQP field table, alive as long as the arena.
    func table(_ entries: [(String, Value)]) -> amqp_table_t {
        guard !entries.isEmpty else { return amqp_table_t(num_entries: 0, entries: nil) }
        let raw = malloc(MemoryLayout<amqp_table_entry_t>.stride * entries.count)!
        allocations.append(raw)
        let buffer = raw.bindMemory(to: amqp_table_entry_t.self, capacity: entries.count)
        for (i, (key, value)) in entries.enumerated() {
            (buffer + i).initialize(to: amqp_table_entry_t(key: bytes(key), value: field(value)))
        }
        return amqp_table_t(num_entries: Int32(entries.count), entries: buffer)
    }

    /// `headers` as an AMQP field table.
    func headers(_ headers: [(String, AMQPHeaderValue)]) -> amqp_table_t {
        table(headers.map { ($0.0, .header($0.1)) })
    }

    private func field(_ value: Value) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case .header(.string(let text)):
            field.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
            field.value.bytes = bytes(text)
        case .header(.int64(let number)):
            field.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
            field.value.i64 = number
        case .header(.int32(let number)):
            field.kind = UInt8(AMQP_FIELD_KIND_I32.rawValue)
            field.value.i32 = number
        case .header(.bool(let flag)):
            field.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
            field.value.boolean = flag ? 1 : 0
        case .table(let entries):
            field.kind = UInt8(AMQP_FIELD_KIND_TABLE.rawValue)
            field.value.table = table(entries)
        }
        return field
    }
}

extension String {
    /// Decodes `amqp_bytes_t` as UTF-8 (lossy).
    init(amqpBytes: amqp_bytes_t) {
        guard amqpBytes.len > 0, let base = amqpBytes.bytes else {
            self = ""
            return
        }
        self = String(decoding: UnsafeRawBufferPointer(start: base, count: amqpBytes.len), as: UTF8.self)
    }
}
