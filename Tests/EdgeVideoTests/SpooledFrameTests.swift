import AMQPPublisher
import Spool
import Supervision
import Testing
import VideoPipeline

@testable import EdgeVideo

/// The frame ↔ spool record codec, and the confirmed-id trace the fault tests read, on generated
/// inputs.
@Suite struct SpooledFrameTests {
    static func frame(_ random: inout SplitMix64) -> SpooledFrame {
        let bytes = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let id = String((0..<Int(1 + random.next() % 40)).map { _ in "abcXYZ09._-é🙂".randomElement(using: &random)! })
        return SpooledFrame(
            frame: EncodedFrame(
                jpeg: bytes, seq: Int64(bitPattern: random.next()), width: Int(random.next() % 10_000),
                height: Int(random.next() % 10_000), capturedAtMicros: Int64(bitPattern: random.next())),
            messageID: "\(id)-i-\(random.next() % 1000)", routingKey: "camera.\(id).frame")
    }

    @Test func recordsRoundTrip() {
        var random = SplitMix64(seed: 17)
        for _ in 0..<500 {
            let frame = Self.frame(&random)
            #expect(SpooledFrame(frame.record(camera: "cam")) == frame)
        }
    }

    @Test func damagedMetadataIsRefusedNotMisread() {
        var random = SplitMix64(seed: 18)
        for _ in 0..<500 {
            var record = Self.frame(&random).record(camera: "cam")
            switch random.next() % 3 {
            case 0: record.metadata.removeLast(Int(1 + random.next() % UInt64(record.metadata.count)))
            case 1: record.metadata[0] = 2  // a version this one does not know
            default: record.metadata.append(UInt8(truncatingIfNeeded: random.next()))
            }
            #expect(SpooledFrame(record) == nil)
        }
    }

    @Test func messagesGiveBackTheirFrame() {
        var random = SplitMix64(seed: 19)
        for _ in 0..<200 {
            let spooled = Self.frame(&random)
            let frame = spooled.frame
            let message = OutgoingMessage(
                body: frame.jpeg, routingKey: spooled.routingKey, messageID: spooled.messageID,
                headers: [
                    ("camera_id", .string("cam")), ("seq", .int64(frame.seq)), ("width", .int32(Int32(frame.width))),
                    ("height", .int32(Int32(frame.height))), ("captured_at_us", .int64(frame.capturedAtMicros)),
                ])
            #expect(SpooledFrame(message) == spooled)
        }
        #expect(SpooledFrame(OutgoingMessage(body: [1], routingKey: "k", messageID: "m")) == nil)
    }

    @Test func confirmedTraceSummarisesAndParsesBack() {
        var random = SplitMix64(seed: 20)
        for _ in 0..<50 {
            let trace = ConfirmedTrace()
            var expected: [String: Set<Int>] = [:]
            for _ in 0..<Int(random.next() % 300) {
                let prefix = ["cam-a1", "cam-b2", "x.y-z"][Int(random.next() % 3)]
                let seq = Int(random.next() % 400)
                trace.confirmed("\(prefix)-\(seq)")
                expected[prefix, default: []].insert(seq)
            }
            trace.confirmed("no-number-here-x")
            #expect(ConfirmedIDs(summary: trace.summary).byPrefix == expected)
        }
    }
}
