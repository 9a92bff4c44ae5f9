import AMQPPublisher
import Spool
import VideoPipeline

/// One encoded frame as the spool stores it, and back: the JPEG is the record's body; what the
/// message needs beyond the frame (its `message_id`, kept so consumers can dedupe a frame
/// published twice, and the routing key it was meant for) travels in the record's metadata.
struct SpooledFrame: Sendable, Equatable {
    /// The frame.
    var frame: EncodedFrame
    /// `message_id` of the frame's message.
    var messageID: String
    /// The routing key the frame was captured for.
    var routingKey: String

    /// The metadata layout's version (first byte).
    private static let version: UInt8 = 1

    /// The spool record of this frame, in the stream of `camera`.
    func record(camera: String) -> SpoolRecord {
        var metadata: [UInt8] = [Self.version]
        Self.append(messageID, to: &metadata)
        Self.append(routingKey, to: &metadata)
        Self.append(UInt32(clamping: frame.width), to: &metadata)
        Self.append(UInt32(clamping: frame.height), to: &metadata)
        return SpoolRecord(
            stream: camera, seq: frame.seq, capturedAtMicros: frame.capturedAtMicros, metadata: metadata, body: frame.jpeg)
    }

    /// The frame of `record`, or `nil` if its metadata is not one this version wrote.
    init?(_ record: SpoolRecord) {
        var reader = record.metadata[...]
        guard reader.popFirst() == Self.version, let messageID = Self.string(&reader), let routingKey = Self.string(&reader),
            let width = Self.uint32(&reader), let height = Self.uint32(&reader), reader.isEmpty
        else { return nil }
        self.init(
            frame: EncodedFrame(
                jpeg: record.body, seq: record.seq, width: Int(width), height: Int(height),
                capturedAtMicros: record.capturedAtMicros),
            messageID: messageID, routingKey: routingKey)
    }

    /// A frame and its message's identity.
    init(frame: EncodedFrame, messageID: String, routingKey: String) {
        self.frame = frame
        self.messageID = messageID
        self.routingKey = routingKey
    }

    /// The frame a message was made from (``FramePublisher/message(for:)``), read back from its
    /// headers; `nil` for a message that did not come from a frame.
    init?(_ message: OutgoingMessage) {
        var seq: Int64?, capturedAt: Int64?, width: Int32?, height: Int32?
        for (name, value) in message.headers {
            switch (name, value) {
            case ("seq", .int64(let v)): seq = v
            case ("captured_at_us", .int64(let v)): capturedAt = v
            case ("width", .int32(let v)): width = v
            case ("height", .int32(let v)): height = v
            default: break
            }
        }
        guard let seq, let capturedAt, let width, let height else { return nil }
        self.init(
            frame: EncodedFrame(
                jpeg: message.body, seq: seq, width: Int(width), height: Int(height), capturedAtMicros: capturedAt),
            messageID: message.messageID, routingKey: message.routingKey)
    }

    private static func append(_ string: String, to bytes: inout [UInt8]) {
        let utf8 = Array(string.utf8.prefix(Int(UInt16.max)))
        append(UInt16(utf8.count), to: &bytes)
        bytes += utf8
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    private static func string(_ reader: inout ArraySlice<UInt8>) -> String? {
        guard let count = integer(UInt16.self, &reader), reader.count >= Int(count) else { return nil }
        defer { reader = reader.dropFirst(Int(count)) }
        return String(decoding: reader.prefix(Int(count)), as: UTF8.self)
    }

    private static func uint32(_ reader: inout ArraySlice<UInt8>) -> UInt32? {
        integer(UInt32.self, &reader)
    }

    private static func integer<T: FixedWidthInteger>(_: T.Type, _ reader: inout ArraySlice<UInt8>) -> T? {
        let size = MemoryLayout<T>.size
        guard reader.count >= size else { return nil }
        var value: T = 0
        for (shift, byte) in reader.prefix(size).enumerated() { value |= T(byte) << (shift * 8) }
        reader = reader.dropFirst(size)
        return value
    }
}
