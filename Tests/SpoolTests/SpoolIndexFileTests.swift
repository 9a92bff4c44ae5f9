import Foundation
import Testing

@testable import Spool

/// Sealed segments are reopened from their index files, without reading headers; an index that
/// does not fit its segment is counted as damage and the segment scanned instead.
@Suite struct SpoolIndexFileTests {
    /// Writes 60 records of stream `s` (several sealed segments), closes; returns the ids.
    private func fill(_ path: String) async throws -> [SpoolRecordID] {
        try await Spool.withSpool(testConfiguration(path), onDiscard: DiscardLog().handler) { spool in
            try (0..<60).map { try spool.append(makeRecord("s", Int64($0)), unread: true) }
        }
    }

    @Test(.timeLimit(.minutes(1))) func aSealedSegmentReopensFromItsIndexAndDamageShowsOnRead() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ids = try await fill(directory.path)
        #expect(segmentFiles(directory.path, suffix: ".idx").count == segmentFiles(directory.path).count - 1)
        // Break the header of record 3 (in the first, sealed segment).
        let victim = ids[3]
        let file = try #require(FileHandle(forUpdatingAtPath: directory.child("s/\(SpoolDirectory.name(victim.segment)).seg")))
        try file.seek(toOffset: UInt64(victim.offset) + 20)
        try file.write(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF])
        try file.close()
        let log = DiscardLog()
        try await Spool.withSpool(testConfiguration(directory.path), onDiscard: log.handler) { spool in
            #expect(spool.recoveredDamage.isEmpty, "no header was read at open")
            #expect(spool.recovered == ["s": 60])
            let read = try drain(spool, "s").map(\.record.seq)
            #expect(read == (0..<60).filter { $0 != 3 }.map(Int64.init))
            #expect(log.count(.damaged) == 1)
        }
    }

    @Test(.timeLimit(.minutes(1))) func anIndexForAnotherSizeIsCountedAndTheSegmentScanned() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try await fill(directory.path)
        let first = try #require(segmentFiles(directory.path).first)
        let handle = try #require(FileHandle(forWritingAtPath: directory.child(first)))
        try handle.seekToEnd()
        try handle.write(contentsOf: [1, 2, 3])
        try handle.close()
        let log = DiscardLog()
        try await Spool.withSpool(testConfiguration(directory.path), onDiscard: log.handler) { spool in
            #expect(spool.recoveredDamage == ["s": 2], "the index, and the torn tail the scan found")
            let read = try drain(spool, "s")
            #expect(read.count == 60)
        }
        let reopened = try await Spool.withSpool(testConfiguration(directory.path), onDiscard: log.handler) { $0.recoveredDamage }
        #expect(reopened.isEmpty && segmentFiles(directory.path).isEmpty)
    }
}
