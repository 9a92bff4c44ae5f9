import Testing

@testable import Spool

/// The budget holds after every append; the oldest segments go first and are reported.
@Suite struct SpoolBudgetTests {
    @Test(.timeLimit(.minutes(1))) func theOldestSegmentsOfAnyStreamAreEvictedAndReportedAsFull() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = DiscardLog()
        let budget = 512 << 10
        try await Spool.withSpool(testConfiguration(directory.path, maxBytes: budget), onDiscard: log.handler) { spool in
            for seq in 0..<400 {
                try spool.append(makeRecord(seq % 4 == 0 ? "b" : "a", Int64(seq)), unread: true)
                #expect(spool.usage.bytes <= budget)
                #expect(spool.usage.bytes == segmentBytesOnDisk(directory.path))
            }
            let a = try drain(spool, "a").map(\.record.seq)
            let b = try drain(spool, "b").map(\.record.seq)
            #expect(log.count(.full) + a.count + b.count == 400)
            #expect(log.count(.full, stream: "a") > 0 && log.count(.full, stream: "b") > 0)
            // What is left is, per stream, the newest records, contiguous.
            #expect(a == Array(a.first!...399).filter { $0 % 4 != 0 })
            #expect(b == Array(b.first!...399).filter { $0 % 4 == 0 })
            #expect(spool.usage.discarded[.full] == log.count(.full))
        }
    }

    @Test(.timeLimit(.minutes(1))) func aLoneStreamEvictsItsOwnOldestSegmentsAndKeepsWriting() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = DiscardLog()
        // Budget of one segment: the segment being written is the only one, so it goes too.
        let budget = 64 << 10
        try await Spool.withSpool(testConfiguration(directory.path, maxBytes: budget), onDiscard: log.handler) { spool in
            for seq in 0..<100 {
                try spool.append(makeRecord("s", Int64(seq)), unread: true)
                #expect(spool.usage.bytes <= budget)
            }
            let read = try drain(spool, "s").map(\.record.seq)
            #expect(!read.isEmpty && read.last == 99)
            #expect(read == Array(read.first!...99))
            #expect(log.count(.full) == 100 - read.count)
        }
    }

    @Test(.timeLimit(.minutes(1))) func recordsEvictedWhileHeldOrInFlightAreReportedWhenHandedBack() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = DiscardLog()
        try await Spool.withSpool(testConfiguration(directory.path, maxBytes: 256 << 10), onDiscard: log.handler) { spool in
            let held = try spool.append(makeRecord("old", 0), unread: false)
            try spool.append(makeRecord("old", 1), unread: true)
            let inFlight = try #require(try spool.next(stream: "old"))
            for seq in 0..<100 { try spool.append(makeRecord("new", Int64(seq)), unread: true) }
            #expect(log.count(.full, stream: "old") == 0, "neither was unread when evicted")
            spool.markUnread(held)
            spool.release([inFlight.id])
            #expect(log.count(.full, stream: "old") == 2)
            #expect(try spool.next(stream: "old") == nil)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aSmallerBudgetAtReopenEvictsAtOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Spool.withSpool(testConfiguration(directory.path), onDiscard: DiscardLog().handler) { spool in
            for seq in 0..<200 { try spool.append(makeRecord("s", Int64(seq)), unread: true) }
        }
        let log = DiscardLog()
        try await Spool.withSpool(testConfiguration(directory.path, maxBytes: 256 << 10), onDiscard: log.handler) { spool in
            #expect(spool.usage.bytes <= 256 << 10)
            let read = try drain(spool, "s").map(\.record.seq)
            #expect(read == Array(read.first!...199) && log.count(.full) == 200 - read.count)
        }
    }
}
