@testable import AMQPPublisher
import CRabbitMQ
import Glibc
import Supervision
import Testing

/// The frames the batch writer encodes decode back, with a decoder of its own written from the
/// AMQP 0-9-1 grammar, into the messages that went in.
@Suite("PublishFrames")
struct PublishFramesTests {
    @Test(.timeLimit(.minutes(2)), arguments: 0..<300)
    func generatedBatchesDecodeBack(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed))
        let frameMax = seed % 10 == 9 ? 131_072 : [4096, 5000, 8192][seed % 3]
        let arena = CArena()
        let exchange = random.text(maxBytes: 255)
        let frames = PublishFrames(channel: 1, frameMax: frameMax, exchange: arena.bytes(exchange), scratch: PublishScratch())
        let mandatory = random.next() % 2 == 0, persistent = random.next() % 2 == 0
        var messages: [OutgoingMessage] = []
        // Two batches on the same object: `reset` must leave nothing behind.
        for _ in 0..<2 {
            frames.reset()
            messages = (0..<Int(1 + random.next() % 6)).map { _ in random.message(frameMax: frameMax) }
            for message in messages {
                #expect(frames.append(message, mandatory: mandatory, persistent: persistent) == AMQP_STATUS_OK.rawValue)
            }
        }
        let wire = frames.withIOVecs { vectors, count in
            (0..<count).flatMap { i in [UInt8](UnsafeRawBufferPointer(start: vectors[i].iov_base, count: vectors[i].iov_len)) }
        }
        #expect(wire.count == frames.byteCount)
        var reader = WireReader(bytes: wire)
        for (i, message) in messages.enumerated() {
            let decoded = try reader.publish(frameMax: frameMax)
            #expect(reader.offset == frames.messageEnds[i], "message \(i) ends where the frames say")
            #expect(decoded.exchange == exchange)
            #expect(decoded.routingKey == message.routingKey)
            #expect(decoded.mandatory == mandatory && !decoded.immediate)
            #expect(decoded.messageID == message.messageID)
            #expect(decoded.contentType == message.contentType)
            #expect(decoded.deliveryMode == (message.deliveryMode ?? (persistent ? 2 : 1)))
            #expect(decoded.timestamp == message.timestamp.map { UInt64(bitPattern: $0) })
            #expect(decoded.headers.count == message.headers.count)
            for (got, sent) in zip(decoded.headers, message.headers) {
                #expect(got.0 == sent.0 && got.1 == sent.1)
            }
            #expect(decoded.body == message.body, "body of \(message.body.count) bytes")
        }
        #expect(reader.offset == wire.count)
    }

    /// Differential: the same messages through rabbitmq-c's own `amqp_basic_publish`, into one end
    /// of a socket pair, give the very bytes the batch writer would write.
    @Test(.timeLimit(.minutes(2)), arguments: 0..<100)
    func bytesAreExactlyWhatAmqpBasicPublishSends(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) + 1_000_000)
        let frameMax = [4096, 5000, 8192][seed % 3]
        var ends: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
        defer { close(ends[1]) }
        let state = try #require(amqp_new_connection())
        defer { amqp_destroy_connection(state) }  // closes ends[0], which its socket owns
        amqp_tcp_socket_set_sockfd(amqp_tcp_socket_new(state), ends[0])
        // The broker's protocol header takes the state machine to idle, where it may be tuned.
        var greeting = Array("AMQP".utf8) + [0, 0, 9, 1]
        var frame = amqp_frame_t()
        let consumed = greeting.withUnsafeMutableBytes { amqp_handle_input(state, amqp_bytes_t(len: 8, bytes: $0.baseAddress), &frame) }
        try #require(consumed == 8)
        try #require(amqp_tune_connection(state, 0, Int32(frameMax), 0) == AMQP_STATUS_OK.rawValue)

        let arena = CArena()
        let exchange = arena.bytes(random.text(maxBytes: 255))
        let frames = PublishFrames(channel: 1, frameMax: frameMax, exchange: exchange, scratch: PublishScratch())
        let scratch = PublishScratch()
        let mandatory = random.next() % 2 == 0, persistent = random.next() % 2 == 0
        var sentByRabbitMQC: [UInt8] = []
        for _ in 0..<Int(1 + random.next() % 6) {
            let message = random.message(frameMax: frameMax)
            #expect(frames.append(message, mandatory: mandatory, persistent: persistent) == AMQP_STATUS_OK.rawValue)
            var properties = scratch.properties(of: message, persistent: persistent)
            let routingKey = scratch.bytes(message.routingKey)
            let status = message.body.withUnsafeBytes { body in
                amqp_basic_publish(state, 1, exchange, routingKey, mandatory ? 1 : 0, 0, &properties,
                                   amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
            }
            #expect(status == AMQP_STATUS_OK.rawValue)
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = recv(ends[1], &chunk, chunk.count, Int32(MSG_DONTWAIT))
                guard count > 0 else { break }
                sentByRabbitMQC += chunk[..<count]
            }
        }
        let wire = frames.withIOVecs { vectors, count in
            (0..<count).flatMap { i in [UInt8](UnsafeRawBufferPointer(start: vectors[i].iov_base, count: vectors[i].iov_len)) }
        }
        #expect(wire.count == sentByRabbitMQC.count)
        #expect(wire == sentByRabbitMQC, "first difference at \(String(describing: wire.indices.first { $0 >= sentByRabbitMQC.count || wire[$0] != sentByRabbitMQC[$0] }))")
    }

    @Test(.timeLimit(.minutes(1)))
    func bodiesAreNotCopiedAndFramesSplitAtFrameMax() throws {
        let frameMax = 4096, perFrame = frameMax - 8
        let arena = CArena()
        let frames = PublishFrames(channel: 1, frameMax: frameMax, exchange: arena.bytes("x"), scratch: PublishScratch())
        let sizes = [0, 1, perFrame - 1, perFrame, perFrame + 1, 2 * perFrame, 3 * perFrame + 5]
        let messages = sizes.enumerated().map { i, size in
            OutgoingMessage(body: [UInt8](repeating: UInt8(i), count: size), routingKey: "k", messageID: "m-\(i)")
        }
        for message in messages { #expect(frames.append(message, mandatory: true, persistent: true) == AMQP_STATUS_OK.rawValue) }
        // Each body's own bytes (the arrays live in `messages`, unchanged, for the whole test).
        let bodyRanges = messages.filter { !$0.body.isEmpty }.compactMap { message in
            message.body.withUnsafeBytes { raw in raw.baseAddress.map { ($0, raw.count) } }
        }
        let pointingIntoBodies = frames.withIOVecs { vectors, count in
            (0..<count).filter { i in bodyRanges.contains(where: { base, length in
                guard let start = vectors[i].iov_base else { return false }
                return UnsafeRawPointer(start) >= base && UnsafeRawPointer(start) + vectors[i].iov_len <= base + length
            }) }.count
        }
        // One vector per body frame, each pointing into its message's own body.
        let bodyFrames = sizes.map { ($0 + perFrame - 1) / perFrame }.reduce(0, +)
        #expect(pointingIntoBodies == bodyFrames)
        let wire = frames.withIOVecs { vectors, count in
            (0..<count).flatMap { i in [UInt8](UnsafeRawBufferPointer(start: vectors[i].iov_base, count: vectors[i].iov_len)) }
        }
        var reader = WireReader(bytes: wire)
        for message in messages {
            let decoded = try reader.publish(frameMax: frameMax)
            #expect(decoded.body == message.body)
            #expect(decoded.bodyFrameSizes.dropLast().allSatisfy { $0 == perFrame }, "full frames but the last")
            #expect(decoded.bodyFrameSizes.count == (message.body.count + perFrame - 1) / perFrame)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func propertiesTooLargeForAFrameFailAsRabbitMQCDoesAndLeaveTheBatchIntact() throws {
        let frameMax = 4096
        let arena = CArena()
        let frames = PublishFrames(channel: 1, frameMax: frameMax, exchange: arena.bytes("x"), scratch: PublishScratch())
        let first = OutgoingMessage(body: [1, 2, 3], routingKey: "k", messageID: "m-1", headers: [("a", .int32(1))])
        let huge = OutgoingMessage(body: [4], routingKey: "k", messageID: "m-2",
                                   headers: [("big", .string(String(repeating: "z", count: frameMax)))])
        let last = OutgoingMessage(body: [5, 6], routingKey: "k", messageID: "m-3")
        #expect(frames.append(first, mandatory: false, persistent: true) == AMQP_STATUS_OK.rawValue)
        let before = frames.byteCount
        #expect(frames.append(huge, mandatory: false, persistent: true) == AMQP_STATUS_TABLE_TOO_BIG.rawValue)
        #expect(frames.byteCount == before && frames.messageCount == 1)
        #expect(frames.append(last, mandatory: false, persistent: true) == AMQP_STATUS_OK.rawValue)
        let wire = frames.withIOVecs { vectors, count in
            (0..<count).flatMap { i in [UInt8](UnsafeRawBufferPointer(start: vectors[i].iov_base, count: vectors[i].iov_len)) }
        }
        var reader = WireReader(bytes: wire)
        #expect(try reader.publish(frameMax: frameMax).messageID == "m-1")
        #expect(try reader.publish(frameMax: frameMax).body == [5, 6])
        #expect(reader.offset == wire.count)
    }
}

/// Generated texts and messages from Supervision's seeded generator, so a failing seed replays exactly.
extension SplitMix64 {

    /// Text of at most `maxBytes` UTF-8 bytes, with multi-byte characters.
    mutating func text(maxBytes: Int) -> String {
        let alphabet: [Character] = ["a", "Z", "9", ".", "-", "é", "ß", "📷", " ", "/"]
        var result = ""
        let target = Int(next() % UInt64(maxBytes + 1))
        while true {
            let character = alphabet[Int(next() % UInt64(alphabet.count))]
            if result.utf8.count + character.utf8.count > target { return result }
            result.append(character)
        }
    }

    mutating func message(frameMax: Int) -> OutgoingMessage {
        let perFrame = frameMax - 8
        let size: Int
        switch next() % 4 {
        case 0: size = [0, 1, perFrame - 1, perFrame, perFrame + 1, 2 * perFrame, 3 * perFrame][Int(next() % 7)]
        default: size = Int(next() % UInt64(3 * frameMax + 1))
        }
        let fill = UInt8(truncatingIfNeeded: next())
        var body = [UInt8](repeating: fill, count: size)
        for _ in 0..<min(size, 16) { body[Int(next() % UInt64(size))] = UInt8(truncatingIfNeeded: next()) }
        let headers: [(String, AMQPHeaderValue)] = (0..<Int(next() % 6)).map { _ in
            let key = text(maxBytes: 20)
            let value: AMQPHeaderValue = switch next() % 4 {
            case 0: .string(text(maxBytes: 300))
            case 1: .int64(Int64(bitPattern: next()))
            case 2: .int32(Int32(truncatingIfNeeded: next()))
            default: .bool(next() % 2 == 0)
            }
            return (key, value)
        }
        return OutgoingMessage(
            body: body, routingKey: text(maxBytes: 255), messageID: "id-" + text(maxBytes: 40),
            contentType: next() % 2 == 0 ? text(maxBytes: 60) : nil,
            deliveryMode: [nil, 1, 2][Int(next() % 3)],
            timestamp: next() % 2 == 0 ? Int64(bitPattern: next()) : nil, headers: headers)
    }
}

/// Decodes AMQP 0-9-1 frames (section 4.2 of the spec, and the `basic` class's properties) with
/// no help from rabbitmq-c.
struct WireReader {
    struct Failure: Error, CustomStringConvertible { var description: String }

    struct Publish {
        var exchange = "", routingKey = "", mandatory = false, immediate = false
        var contentType: String?, headers: [(String, AMQPHeaderValue)] = [], deliveryMode: UInt8?
        var messageID: String?, timestamp: UInt64?
        var body: [UInt8] = []
        var bodyFrameSizes: [Int] = []
    }

    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// Reads one `basic.publish` with its content header and body frames.
    mutating func publish(frameMax: Int) throws -> Publish {
        var result = Publish()
        var method = try frame(type: 1, frameMax: frameMax)
        guard try method.u16() == 60, try method.u16() == 40 else { throw Failure(description: "not basic.publish") }
        guard try method.u16() == 0 else { throw Failure(description: "ticket not 0") }
        result.exchange = try method.shortString()
        result.routingKey = try method.shortString()
        let bits = try method.u8()
        (result.mandatory, result.immediate) = (bits & 1 != 0, bits & 2 != 0)
        try method.end()

        var header = try frame(type: 2, frameMax: frameMax)
        guard try header.u16() == 60, try header.u16() == 0 else { throw Failure(description: "header class or weight") }
        let bodySize = Int(try header.u64())
        let flags = try header.u16()
        guard flags & 1 == 0 else { throw Failure(description: "continued property flags") }
        let known: UInt16 = 1 << 15 | 1 << 13 | 1 << 12 | 1 << 7 | 1 << 6
        guard flags & ~known == 0 else { throw Failure(description: "unexpected properties \(flags)") }
        if flags & 1 << 15 != 0 { result.contentType = try header.shortString() }
        if flags & 1 << 13 != 0 { result.headers = try header.table() }
        if flags & 1 << 12 != 0 { result.deliveryMode = try header.u8() }
        if flags & 1 << 7 != 0 { result.messageID = try header.shortString() }
        if flags & 1 << 6 != 0 { result.timestamp = try header.u64() }
        try header.end()

        while result.body.count < bodySize {
            let body = try frame(type: 3, frameMax: frameMax)
            guard body.bytes.count > 0 else { throw Failure(description: "empty body frame") }
            result.body += body.bytes
            result.bodyFrameSizes.append(body.bytes.count)
        }
        guard result.body.count == bodySize else { throw Failure(description: "body longer than its header says") }
        return result
    }

    /// Reads one frame of `type` on channel 1 and returns a reader of its payload.
    private mutating func frame(type: UInt8, frameMax: Int) throws -> WireReader {
        guard try u8() == type else { throw Failure(description: "expected a frame of type \(type) at \(offset - 1)") }
        guard try u16() == 1 else { throw Failure(description: "channel") }
        let size = Int(try u32())
        guard 7 + size + 1 <= frameMax else { throw Failure(description: "frame of \(size) bytes over frame_max \(frameMax)") }
        let payload = try take(size)
        guard try u8() == 0xCE else { throw Failure(description: "frame end missing") }
        return WireReader(bytes: payload)
    }

    mutating func end() throws {
        guard offset == bytes.count else { throw Failure(description: "\(bytes.count - offset) bytes left in a payload") }
    }

    mutating func take(_ count: Int) throws -> [UInt8] {
        guard count >= 0, offset + count <= bytes.count else { throw Failure(description: "truncated at \(offset)") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func u8() throws -> UInt8 { try take(1)[0] }
    mutating func u16() throws -> UInt16 { try take(2).reduce(0) { $0 << 8 | UInt16($1) } }
    mutating func u32() throws -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }
    mutating func u64() throws -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }
    mutating func shortString() throws -> String { String(decoding: try take(Int(try u8())), as: UTF8.self) }
    mutating func longString() throws -> String { String(decoding: try take(Int(try u32())), as: UTF8.self) }

    mutating func table() throws -> [(String, AMQPHeaderValue)] {
        var entries = WireReader(bytes: try take(Int(try u32())))
        var result: [(String, AMQPHeaderValue)] = []
        while entries.offset < entries.bytes.count {
            let key = try entries.shortString()
            switch try entries.u8() {
            case UInt8(ascii: "S"): result.append((key, .string(try entries.longString())))
            case UInt8(ascii: "l"): result.append((key, .int64(Int64(bitPattern: try entries.u64()))))
            case UInt8(ascii: "I"): result.append((key, .int32(Int32(bitPattern: try entries.u32()))))
            case UInt8(ascii: "t"): result.append((key, .bool(try entries.u8() != 0)))
            case let kind: throw Failure(description: "field kind \(kind)")
            }
        }
        return result
    }
}
