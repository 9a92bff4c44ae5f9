import AMQPPublisher
import Foundation
import Spool
import Supervision
import Testing
import VideoPipeline

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// The encoder → publisher handover with a real spool in a temporary directory: which frames go
/// to disk in each mode, the order the publisher gets them in, and the ledger after every step.
@Suite struct PublishQueueTests {
    /// A queue of capacity `capacity` on a fresh spool, for `body`.
    static func withQueue(
        mode: AppConfig.Spool.Mode, replay: AppConfig.Spool.Replay = .captureOrder, capacity: Int = 4,
        directory: String? = nil,
        _ body: (PublishQueue, FrameLedger, Spool) async throws -> Void
    ) async throws {
        let owned = directory == nil
        let directory = directory ?? NSTemporaryDirectory() + "ev-pq-\(UUID().uuidString.prefix(8))"
        defer { if owned { try? FileManager.default.removeItem(atPath: directory) } }
        var settings = AppConfig.Spool()
        settings.mode = mode
        settings.replay = replay
        let accounts = SpoolLink.Accounts()
        try await Spool.withSpool(
            SpoolConfiguration(directory: directory, maxBytes: 64 << 20),
            onDiscard: { accounts.discarded(stream: $0, reason: $1, count: $2) }
        ) { spool in
            let link = SpoolLink(spool: spool, settings: settings, accounts: accounts)
            let ledger = FrameLedger()
            for (stream, count) in spool.recovered { if stream == "cam" { ledger.recovered(count) } }
            link.register(ledger, for: "cam")
            let queue = PublishQueue(memory: FrameQueue(capacity: capacity), stream: "cam", link: link, ledger: ledger) { frame in
                (messageID: "cam-i-\(frame.seq)", routingKey: "camera.cam.frame")
            }
            try await body(queue, ledger, spool)
        }
    }

    /// Encodes frame `seq` as the encoder does: counted, then pushed.
    static func encode(_ seq: Int64, into queue: PublishQueue, ledger: FrameLedger) {
        ledger.frameQueuedForEncode()
        ledger.frameEncoded()
        queue.push(EncodedFrame(jpeg: [0xFF, 0xD8, UInt8(truncatingIfNeeded: seq), 0xFF, 0xD9], seq: seq, width: 2, height: 2,
                                capturedAtMicros: 1_700_000_000_000_000 + seq))
    }

    /// Takes what is ready now, hands it over and settles it as confirmed, as the publisher does.
    static func publishReady(_ queue: PublishQueue, ledger: FrameLedger) -> [Int64] {
        var seqs: [Int64] = []
        while let item = queue.nextNow() {
            ledger.handedOver()
            ledger.settled(.confirmed)
            queue.settled(item.frame.messageID)
            seqs.append(item.frame.frame.seq)
        }
        return seqs
    }

    static func balanced(_ ledger: FrameLedger) -> Bool {
        let c = ledger.counts
        return c.publishable == c.publishPlaces && c.captured == c.encoded + c.droppedBeforeEncode + c.queuedForEncode
    }

    @Test func outageModeWritesOnlyWhatTheFullQueueLetsGo() async throws {
        try await Self.withQueue(mode: .outage) { queue, ledger, spool in
            for seq in 0..<3 { Self.encode(Int64(seq), into: queue, ledger: ledger) }
            #expect(spool.usage.records == 0, "nothing written while the queue has room")
            for seq in 3..<20 { Self.encode(Int64(seq), into: queue, ledger: ledger) }
            #expect(ledger.counts.spooled == 16 && ledger.counts.queuedForPublish == 4)
            #expect(Self.balanced(ledger))
            #expect(Self.publishReady(queue, ledger: ledger) == Array(0..<20), "disk first, then memory: capture order")
            #expect(ledger.counts.confirmed == 20 && ledger.counts.spooled == 0 && Self.balanced(ledger))
            #expect(spool.usage.records == 0, "every settled frame released")
        }
    }

    @Test func offModeDropsTheOldestAndCountsIt() async throws {
        try await Self.withQueue(mode: .off) { queue, ledger, _ in
            for seq in 0..<10 { Self.encode(Int64(seq), into: queue, ledger: ledger) }
            #expect(ledger.counts.droppedAfterEncode == 6 && Self.balanced(ledger))
            #expect(Self.publishReady(queue, ledger: ledger) == [6, 7, 8, 9])
        }
    }

    @Test func liveFirstServesMemoryBeforeTheBacklog() async throws {
        try await Self.withQueue(mode: .outage, replay: .liveFirst) { queue, ledger, _ in
            for seq in 0..<10 { Self.encode(Int64(seq), into: queue, ledger: ledger) }
            #expect(Self.publishReady(queue, ledger: ledger) == [6, 7, 8, 9, 0, 1, 2, 3, 4, 5])
            #expect(Self.balanced(ledger))
        }
    }

    @Test func alwaysModeKeepsEveryUnsettledFrameAcrossAReopen() async throws {
        let directory = NSTemporaryDirectory() + "ev-pq-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.withQueue(mode: .always, directory: directory) { queue, ledger, spool in
            for seq in 0..<10 { Self.encode(Int64(seq), into: queue, ledger: ledger) }
            #expect(spool.usage.records == 10, "every frame on disk before it is published")
            #expect(ledger.counts.spooled == 6 && ledger.counts.queuedForPublish == 4, "the full queue let 6 go; they stay on disk")
            // Three are published and confirmed; the rest are left when the process goes.
            for _ in 0..<3 {
                let item = try #require(queue.nextNow())
                ledger.handedOver()
                ledger.settled(.confirmed)
                queue.settled(item.frame.messageID)
            }
            #expect(Self.balanced(ledger))
            try spool.sync()
        }
        try await Self.withQueue(mode: .always, directory: directory) { queue, ledger, _ in
            #expect(ledger.counts.recovered == 7)
            #expect(Self.publishReady(queue, ledger: ledger) == Array(3..<10), "the unsettled ones, in order, once")
            #expect(Self.balanced(ledger))
        }
    }

    @Test func leftoversGoToDiskAndComeBackInOrder() async throws {
        try await Self.withQueue(mode: .outage) { queue, ledger, spool in
            for seq in 0..<6 { Self.encode(Int64(seq), into: queue, ledger: ledger) }
            // Two frames were handed to a connection that ended: they are pending messages now.
            var pending: [OutgoingMessage] = []
            for _ in 0..<2 {
                let item = try #require(queue.nextNow())
                pending.append(OutgoingMessage(
                    body: item.frame.frame.jpeg, routingKey: item.frame.routingKey, messageID: item.frame.messageID,
                    headers: [("seq", .int64(item.frame.frame.seq)), ("captured_at_us", .int64(item.frame.frame.capturedAtMicros)),
                              ("width", .int32(2)), ("height", .int32(2))]))
            }
            let kept = queue.spoolLeftovers(pending)
            #expect(kept.isEmpty && queue.memory.count == 0)
            #expect(ledger.counts.spooled == 6 && ledger.counts.queuedForPublish == 0 && Self.balanced(ledger))
            #expect(Self.publishReady(queue, ledger: ledger) == [0, 1, 2, 3, 4, 5])
            #expect(spool.usage.records == 0)
        }
    }

    /// Seeded sequences of pushes, publishes, confirms, connections ending and leftovers in every
    /// mode: each frame is published exactly once or counted, in capture order per mode's rule, and
    /// the ledger balances after every step.
    @Test(arguments: [AppConfig.Spool.Mode.outage, .always, .off])
    func generatedSchedulesLoseNothing(mode: AppConfig.Spool.Mode) async throws {
        for seed in UInt64(1)...25 {
            var random = SplitMix64(seed: seed)
            try await Self.withQueue(mode: mode, capacity: 1 + Int(random.next() % 6)) { queue, ledger, _ in
                var next: Int64 = 0
                var delivered: [Int64] = []
                var inFlight: [PublishQueue.Item] = []
                for _ in 0..<200 {
                    switch random.next() % 5 {
                    case 0, 1:
                        Self.encode(next, into: queue, ledger: ledger)
                        next += 1
                    case 2:
                        if let item = queue.nextNow() {
                            ledger.handedOver()
                            inFlight.append(item)
                        }
                    case 3:
                        if !inFlight.isEmpty {
                            let item = inFlight.removeFirst()
                            ledger.settled(.confirmed)
                            queue.settled(item.frame.messageID)
                            delivered.append(item.frame.frame.seq)
                        }
                    default:
                        // The connection ends: what it held comes back, then is confirmed on the next.
                        for item in inFlight {
                            ledger.handedBack(1)
                            ledger.handedOver()
                            ledger.settled(.confirmed)
                            queue.settled(item.frame.messageID)
                            delivered.append(item.frame.frame.seq)
                        }
                        inFlight = []
                    }
                    #expect(Self.balanced(ledger), "seed \(seed): \(ledger.counts)")
                }
                for item in inFlight {
                    ledger.settled(.confirmed)
                    queue.settled(item.frame.messageID)
                    delivered.append(item.frame.frame.seq)
                }
                delivered += Self.publishReady(queue, ledger: ledger)
                let counts = ledger.counts
                #expect(Set(delivered).count == delivered.count, "seed \(seed): a frame published twice")
                #expect(delivered.count + counts.droppedAfterEncode + counts.spoolDropped == Int(next), "seed \(seed): \(counts)")
                if mode != .off { #expect(delivered.count == Int(next), "seed \(seed): a frame lost with a spool") }
                #expect(counts.confirmed == delivered.count && Self.balanced(ledger))
            }
        }
    }
}
