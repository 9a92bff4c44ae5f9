import Foundation
import Testing

@testable import Spool

/// Appending, reading, releasing, holding and acknowledging, within one open and across reopens.
@Suite struct SpoolTests {
    @Test(.timeLimit(.minutes(1))) func recordsComeBackPerStreamInAppendOrderWithIdenticalBytes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Spool.withSpool(testConfiguration(directory.path), onDiscard: DiscardLog().handler) { spool in
            var written: [String: [SpoolRecord]] = [:]
            for seq in 0..<60 {
                let stream = ["cam-1", "cam.2", "cam_3"][seq % 3]
                let record = makeRecord(stream, Int64(seq), bodyBytes: 100 * seq)
                try spool.append(record, unread: true)
                written[stream, default: []].append(record)
            }
            #expect(spool.streams == ["cam-1", "cam.2", "cam_3"])
            #expect(spool.usage.unread == 60 && spool.usage.records == 60 && spool.usage.segments >= 3)
            for (stream, records) in written {
                #expect(spool.hasUnread(stream: stream))
                let read = try drain(spool, stream)
                #expect(read.map(\.record) == records)
                #expect(read.map(\.id) == read.map(\.id).sorted())
                #expect(!spool.hasUnread(stream: stream))
            }
            #expect(spool.streams.isEmpty && spool.usage.records == 0)
        }
    }

    @Test(.timeLimit(.minutes(1))) func releasedRecordsAreDeliveredAgainBeforeLaterOnes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Spool.withSpool(testConfiguration(directory.path), onDiscard: DiscardLog().handler) { spool in
            for seq in 0..<10 { try spool.append(makeRecord("s", Int64(seq), bodyBytes: 10), unread: true) }
            let first = try (0..<4).map { _ in try #require(try spool.next(stream: "s")) }
            spool.acknowledge(first[1].id)
            spool.release([first[3].id, first[0].id, first[2].id])
            #expect(try drain(spool, "s").map(\.record.seq) == [0, 2, 3, 4, 5, 6, 7, 8, 9])
        }
    }

    @Test(.timeLimit(.minutes(1))) func heldRecordsAreDeliveredOnlyOnceMarkedUnreadInIdOrder() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Spool.withSpool(testConfiguration(directory.path), onDiscard: DiscardLog().handler) { spool in
            let held = try (0..<3).map { try spool.append(makeRecord("s", Int64($0), bodyBytes: 10), unread: false) }
            try spool.append(makeRecord("s", 3, bodyBytes: 10), unread: true)
            #expect(spool.streams == ["s"] && spool.usage.unread == 1)
            #expect(try spool.next(stream: "s")?.record.seq == 3)
            spool.markUnread(held[2])
            spool.markUnread(held[0])
            #expect(try drain(spool, "s").map(\.record.seq) == [0, 2])
            spool.acknowledge(held[1])
            #expect(spool.usage.records == 1, "only the in-flight seq 3 is left")
        }
    }

    @Test(.timeLimit(.minutes(1))) func acknowledgedRecordsAreNotDeliveredAfterReopenAndTheRestAre() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration = testConfiguration(directory.path)
        try await Spool.withSpool(configuration, onDiscard: DiscardLog().handler) { spool in
            for seq in 0..<40 { try spool.append(makeRecord("s", Int64(seq), bodyBytes: 3000), unread: seq % 5 != 0) }
            // Acknowledge the odd ones among the first 20 read; leave the others in flight.
            for _ in 0..<20 {
                let next = try #require(try spool.next(stream: "s"))
                if next.record.seq % 2 == 1 { spool.acknowledge(next.id) }
            }
        }
        let expected = (0..<40).filter { !($0 % 2 == 1 && $0 < 25 && $0 % 5 != 0) }
        try await Spool.withSpool(configuration, onDiscard: DiscardLog().handler) { spool in
            #expect(spool.recovered == ["s": expected.count])
            #expect(spool.recoveredDamage.isEmpty)
            let read = try drain(spool, "s")
            #expect(read.map(\.record.seq) == expected.map(Int64.init))
            #expect(read.allSatisfy { $0.record == makeRecord("s", $0.record.seq, bodyBytes: 3000) })
        }
        try await Spool.withSpool(configuration, onDiscard: DiscardLog().handler) { spool in
            #expect(spool.recovered.isEmpty && spool.usage.segments == 0)
        }
        #expect(segmentFiles(directory.path).isEmpty && segmentFiles(directory.path, suffix: ".ack").isEmpty)
    }

    @Test(.timeLimit(.minutes(1))) func segmentsWhoseRecordsAreAllAcknowledgedAreDeleted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Spool.withSpool(testConfiguration(directory.path), onDiscard: DiscardLog().handler) { spool in
            for seq in 0..<100 { try spool.append(makeRecord("s", Int64(seq)), unread: true) }
            let segments = spool.usage.segments
            #expect(segments >= 7 && segmentFiles(directory.path).count == segments)
            _ = try drain(spool, "s")
            #expect(spool.usage.segments == 1, "the segment being written stays")
            #expect(segmentFiles(directory.path).count == 1)
            #expect(spool.usage.bytes == segmentBytesOnDisk(directory.path))
            // Once a sync turn passes with no append, the settled segment being written goes too:
            // after an outage drains, the spool holds no file (and no descriptor).
            try spool.sync()
            #expect(spool.usage.segments == 1, "appended to since the last turn: kept")
            try spool.sync()
            #expect(spool.usage.segments == 0 && segmentFiles(directory.path).isEmpty)
            try spool.append(makeRecord("s", 100), unread: true)
            #expect(try drain(spool, "s").map(\.record.seq) == [100], "a new segment is made for the next append")
        }
    }

    @Test(.timeLimit(.minutes(1))) func expiredRecordsAreSkippedAndReported() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = DiscardLog()
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        try await Spool.withSpool(testConfiguration(directory.path, maxAge: .seconds(60)), onDiscard: log.handler) { spool in
            for seq in 0..<6 {
                let age: Int64 = seq < 4 ? 120_000_000 : 0
                try spool.append(makeRecord("s", Int64(seq), bodyBytes: 10, capturedAt: now - age), unread: true)
            }
            #expect(try drain(spool, "s").map(\.record.seq) == [4, 5])
            #expect(log.count(.expired, stream: "s") == 4 && spool.usage.discarded[.expired] == 4)
        }
    }

    @Test(.timeLimit(.minutes(1))) func invalidStreamNamesAndOversizedRecordsAreRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Spool.withSpool(testConfiguration(directory.path, maxBytes: 1 << 20), onDiscard: DiscardLog().handler) { spool in
            for name in ["", "..", "a/b", String(repeating: "x", count: 65), "caméra"] {
                #expect(throws: SpoolError.self) { try spool.append(makeRecord(name, 0, bodyBytes: 1), unread: true) }
            }
            let error = #expect(throws: SpoolError.self) { try spool.append(makeRecord("s", 0, bodyBytes: 2 << 20), unread: true) }
            #expect(error?.code == .invalidRecord)
            #expect(spool.usage.records == 0)
        }
    }

    @Test(.timeLimit(.minutes(1))) func closingReturnsPromptlyWithALongSyncIntervalAndRefusesLaterUse() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let start = ContinuousClock.now
        let escaped = try await Spool.withSpool(testConfiguration(directory.path), onDiscard: DiscardLog().handler) { spool in
            try spool.append(makeRecord("s", 0, bodyBytes: 10), unread: true)
            return spool
        }
        #expect(ContinuousClock.now - start < .seconds(5), "the sync thread, asleep for an hour, was woken to stop")
        let error = #expect(throws: SpoolError.self) { try escaped.append(makeRecord("s", 1, bodyBytes: 10), unread: true) }
        #expect(error?.code == .unavailable)
    }
}
