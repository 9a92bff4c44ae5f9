import CRabbitMQ
import Glibc

/// The wire bytes of a batch of `basic.publish`es, encoded by the connection itself so that a
/// plain-TCP connection writes a whole batch with one `sendmsg` (``RabbitConnection``'s batch
/// path) instead of rabbitmq-c's three `send`s per message.
///
/// Each message becomes what `amqp_basic_publish` of rabbitmq-c 0.11 sends: a method frame
/// (`basic.publish`), a content header frame (class 60, weight 0, the body size, the properties)
/// and the body split into frames of at most `frameMax - 8` payload bytes. The payloads of the
/// first two are written by rabbitmq-c's own encoders (`amqp_encode_method`,
/// `amqp_encode_properties`) with the room its own frame buffer gives them, so the bytes and the
/// limits are rabbitmq-c's; the properties come from ``PublishScratch``, as on rabbitmq-c's path.
///
/// The frame headers and ends go into one byte buffer, kept and grown by the connection; the bodies
/// are not copied: ``withIOVecs(_:)`` hands out vectors that point into them.
///
/// Used on the connection thread only.
final class PublishFrames {
    /// A run of the wire bytes: of the buffer or of a message's body.
    private struct Piece {
        /// Where a run's bytes are.
        enum Source {
            /// In the buffer (frame headers, methods, properties, frame ends).
            case buffer
            /// In the body of the message appended at this index.
            case body(Int)
        }

        var source: Source
        var offset: Int
        var count: Int
    }

    let channel: amqp_channel_t
    /// The negotiated largest frame, header and end included (`amqp_get_frame_max`).
    let frameMax: Int
    private let exchange: amqp_bytes_t
    private let scratch: PublishScratch
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var used = 0
    private var pieces: [Piece] = []
    /// The bodies of the messages appended since ``reset()``; kept alive (not copied) until then.
    private var bodies: [[UInt8]] = []
    private var bodyPointers: [UnsafeRawPointer?] = []
    /// For each message appended: how many wire bytes end with its last frame.
    private(set) var messageEnds: [Int] = []
    /// The wire bytes of the messages appended since ``reset()``.
    private(set) var byteCount = 0
    private var vectors: UnsafeMutablePointer<iovec>
    private var vectorCapacity: Int

    /// - Parameters:
    ///   - channel: the channel the frames are for.
    ///   - frameMax: the negotiated `frame_max` (at least 4,096 in AMQP 0-9-1).
    ///   - exchange: the exchange to publish to; its memory must outlive this object.
    ///   - scratch: the memory for each message's properties (shared with rabbitmq-c's path).
    init(channel: amqp_channel_t, frameMax: Int, exchange: amqp_bytes_t, scratch: PublishScratch) {
        self.channel = channel
        self.frameMax = frameMax
        self.exchange = exchange
        self.scratch = scratch
        capacity = 4096
        buffer = .allocate(byteCount: capacity, alignment: 16)
        vectorCapacity = 64
        vectors = .allocate(capacity: vectorCapacity)
    }

    deinit {
        buffer.deallocate()
        vectors.deallocate()
    }

    /// The messages appended since ``reset()``.
    var messageCount: Int { messageEnds.count }

    /// Forgets the messages appended so far (and lets go of their bodies), keeping the memory.
    func reset() {
        used = 0
        byteCount = 0
        pieces.removeAll(keepingCapacity: true)
        bodies.removeAll(keepingCapacity: true)
        messageEnds.removeAll(keepingCapacity: true)
    }

    /// Appends the frames of one `basic.publish` of `message`.
    /// - Returns: `AMQP_STATUS_OK`, or the rabbitmq-c status its own path would have failed with
    ///   (`AMQP_STATUS_TABLE_TOO_BIG` or `AMQP_STATUS_BAD_AMQP_DATA` when the properties do not
    ///   fit in one frame); then nothing of the message was appended.
    func append(_ message: OutgoingMessage, mandatory: Bool, persistent: Bool) -> Int32 {
        let mark = (used: used, byteCount: byteCount, pieces: pieces.count, lastCount: pieces.last?.count)
        var properties = scratch.properties(of: message, persistent: persistent)
        var method = amqp_basic_publish_t()
        method.exchange = exchange
        method.routing_key = scratch.bytes(message.routingKey)
        method.mandatory = mandatory ? 1 : 0
        method.immediate = 0
        // rabbitmq-c encodes a frame into its `frame_max`-byte buffer: the room a payload gets.
        let methodStatus = appendFrame(type: UInt8(AMQP_FRAME_METHOD), prefix: 4, room: frameMax - 8 - 4) { prefix in
            Self.put(UInt32(AMQP_BASIC_PUBLISH_METHOD), at: prefix)
        } payload: { encoded in
            amqp_encode_method(AMQP_BASIC_PUBLISH_METHOD, &method, encoded)
        }
        let bodySize = message.body.count
        let headerStatus = methodStatus < 0 ? methodStatus : appendFrame(type: UInt8(AMQP_FRAME_HEADER), prefix: 12, room: frameMax - 8 - 12) { prefix in
            Self.put(UInt16(AMQP_BASIC_CLASS), at: prefix)
            Self.put(UInt16(0), at: prefix + 2)  // weight
            Self.put(UInt64(bodySize), at: prefix + 4)
        } payload: { encoded in
            amqp_encode_properties(UInt16(AMQP_BASIC_CLASS), &properties, encoded)
        }
        guard headerStatus >= 0 else {
            (used, byteCount) = (mark.used, mark.byteCount)
            pieces.removeSubrange(mark.pieces...)
            if let count = mark.lastCount { pieces[mark.pieces - 1].count = count }
            return headerStatus
        }
        let index = bodies.count
        bodies.append(message.body)
        let perFrame = frameMax - 8
        var offset = 0
        while offset < bodySize {
            let count = min(perFrame, bodySize - offset)
            reserve(8)
            writeFrameHeader(type: UInt8(AMQP_FRAME_BODY), size: count, at: buffer + used)
            appendBuffered(7)
            pieces.append(Piece(source: .body(index), offset: offset, count: count))
            byteCount += count
            (buffer + used).storeBytes(of: UInt8(AMQP_FRAME_END), as: UInt8.self)
            appendBuffered(1)
            offset += count
        }
        messageEnds.append(byteCount)
        return AMQP_STATUS_OK.rawValue
    }

    /// Runs `body` with the wire bytes of the messages appended since ``reset()`` as `count`
    /// vectors (headers from the buffer, bodies where they are), valid only inside `body`.
    func withIOVecs<R>(_ body: (_ vectors: UnsafeMutablePointer<iovec>, _ count: Int) throws -> R) rethrows -> R {
        bodyPointers.removeAll(keepingCapacity: true)
        return try withBodies(from: 0) {
            if pieces.count > vectorCapacity {
                vectors.deallocate()
                vectorCapacity = max(pieces.count, vectorCapacity * 2)
                vectors = .allocate(capacity: vectorCapacity)
            }
            for (i, piece) in pieces.enumerated() {
                let base = switch piece.source {
                case .buffer: UnsafeRawPointer(buffer)
                case .body(let message): bodyPointers[message]!
                }
                vectors[i] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base + piece.offset), iov_len: piece.count)
            }
            return try body(vectors, pieces.count)
        }
    }

    /// Pins the bodies from `index` on (their addresses are valid only inside `withUnsafeBytes`),
    /// then runs `body`. Recurses once per message: callers keep batches to a few hundred messages.
    private func withBodies<R>(from index: Int, _ body: () throws -> R) rethrows -> R {
        guard index < bodies.count else { return try body() }
        return try bodies[index].withUnsafeBytes { raw in
            bodyPointers.append(raw.baseAddress)
            return try withBodies(from: index + 1, body)
        }
    }

    /// Appends a method or header frame: its 7-byte header, `prefix` bytes written by `writePrefix`,
    /// the payload `encode` writes (its result: bytes written or a negative status), the frame end.
    /// Grows the buffer and encodes again while the payload lacks room, up to `room`.
    private func appendFrame(
        type: UInt8, prefix: Int, room: Int, _ writePrefix: (UnsafeMutableRawPointer) -> Void,
        payload encode: (amqp_bytes_t) -> Int32
    ) -> Int32 {
        reserve(7 + prefix + 1 + min(room, 256))
        while true {
            let start = buffer + used
            let available = min(room, capacity - used - 7 - prefix - 1)
            let size = encode(amqp_bytes_t(len: available, bytes: start + 7 + prefix))
            if size >= 0 {
                writeFrameHeader(type: type, size: prefix + Int(size), at: start)
                writePrefix(start + 7)
                (start + 7 + prefix + Int(size)).storeBytes(of: UInt8(AMQP_FRAME_END), as: UInt8.self)
                appendBuffered(7 + prefix + Int(size) + 1)
                return AMQP_STATUS_OK.rawValue
            }
            // Out of room: rabbitmq-c's encoders say BAD_AMQP_DATA, or TABLE_TOO_BIG inside the headers.
            let outOfRoom = size == AMQP_STATUS_BAD_AMQP_DATA.rawValue || size == AMQP_STATUS_TABLE_TOO_BIG.rawValue
            guard outOfRoom, available < room else { return size }
            reserve(7 + prefix + 1 + min(room, 2 * available + 1))
        }
    }

    /// Makes room for `count` more bytes in the buffer.
    private func reserve(_ count: Int) {
        guard used + count > capacity else { return }
        let grown = max(used + count, capacity * 2)
        let larger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
        larger.copyMemory(from: buffer, byteCount: used)
        buffer.deallocate()
        buffer = larger
        capacity = grown
    }

    /// Counts `count` bytes just written at the end of the buffer as wire bytes.
    private func appendBuffered(_ count: Int) {
        if let last = pieces.last, case .buffer = last.source, last.offset + last.count == used {
            pieces[pieces.count - 1].count += count
        } else {
            pieces.append(Piece(source: .buffer, offset: used, count: count))
        }
        used += count
        byteCount += count
    }

    private func writeFrameHeader(type: UInt8, size: Int, at start: UnsafeMutableRawPointer) {
        start.storeBytes(of: type, as: UInt8.self)
        Self.put(UInt16(channel), at: start + 1)
        Self.put(UInt32(size), at: start + 3)
    }

    /// Writes `value` big-endian (network order) at `address`, which need not be aligned.
    private static func put<T: FixedWidthInteger>(_ value: T, at address: UnsafeMutableRawPointer) {
        address.storeBytes(of: value.bigEndian, as: T.self)
    }
}
