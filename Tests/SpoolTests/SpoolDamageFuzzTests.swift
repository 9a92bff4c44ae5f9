import Foundation
import Supervision
import Testing

@testable import Spool

/// Generated damage: 200 seeded cases, each a spool of a few streams and segments, damaged by one
/// to three seeded operations, then reopened and drained. Checked by identity: every record that
/// no damaged byte touches is delivered exactly once with identical bytes; no touched record is
/// delivered; damage is counted whenever bytes the spool reads changed (records to deliver,
/// acknowledgement files, index files, tails).
@Suite struct SpoolDamageFuzzTests {
    /// What one case wrote: each record, where it lies, and whether it was acknowledged.
    struct Written {
        var record: SpoolRecord
        var file: String
        var offset: Int
        var length: Int
        var acknowledged: Bool
    }

    enum Damage: CaseIterable {
        case overwrite, truncate, zeroLength, appendGarbage, ackGarbage, indexGarbage
    }

    @Test(.timeLimit(.minutes(2))) func twoHundredSeededDamagesNeverLoseOrCorruptAnUntouchedRecord() async throws {
        let seed = ProcessInfo.processInfo.environment["SPOOL_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5B00_1D00
        for index in 0..<UInt64(200) {
            try await run(case: seed &+ index)
        }
    }

    private func run(case seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let directory = try TemporaryDirectory("spool-fuzz")
        defer { directory.remove() }
        let configuration = testConfiguration(directory.path)
        let streams = Array(["a", "b", "c"].prefix(Int.random(in: 1...3, using: &random)))
        let count = Int.random(in: 20...90, using: &random)
        var plan: [(SpoolRecord, acknowledge: Bool)] = []
        for seq in 0..<count {
            let stream = streams.randomElement(using: &random)!
            plan.append((makeRecord(stream, Int64(seq), bodyBytes: Int.random(in: 0...4000, using: &random)), Bool.random(using: &random)))
        }
        let written = try await Spool.withSpool(configuration, onDiscard: DiscardLog().handler) { spool in
            var written: [Written] = []
            for (record, acknowledge) in plan {
                let id = try spool.append(record, unread: true)
                let file = "\(record.stream)/\(SpoolDirectory.name(id.segment)).seg"
                let length = RecordHeader.size + record.metadata.count + record.body.count
                written.append(Written(record: record, file: file, offset: Int(id.offset), length: length, acknowledged: acknowledge))
            }
            for stream in streams {
                while let next = try spool.next(stream: stream) {
                    if written[Int(next.record.seq)].acknowledged { spool.acknowledge(next.id) }
                }
            }
            return written
        }
        let before = snapshot(directory.path)
        let operations = (0..<Int.random(in: 1...3, using: &random)).map { _ in Damage.allCases.randomElement(using: &random)! }
        for damage in operations { apply(damage, directory.path, &random) }
        let after = snapshot(directory.path)
        let changedAcks = before.keys.filter { $0.hasSuffix(".ack") && after[$0] != before[$0] }
        let changedIndexes = before.keys.filter { $0.hasSuffix(".idx") && after[$0] != before[$0] }
        let touched = Set(written.indices.filter { index in
            let w = written[index]
            guard let old = before[w.file] else { return false }  // its segment was deleted: all acknowledged
            guard let new = after[w.file], new.count >= w.offset + w.length else { return true }
            return new[w.offset..<(w.offset + w.length)] != old[w.offset..<(w.offset + w.length)]
        })
        let grew = after.contains { name, bytes in name.hasSuffix(".seg") && bytes.count > (before[name]?.count ?? 0) }

        let log = DiscardLog()
        var delivered: [Int64: Int] = [:]
        try await Spool.withSpool(configuration, onDiscard: log.handler) { spool in
            for stream in streams {
                while let next = try spool.next(stream: stream) {
                    let original = written[Int(next.record.seq)]
                    #expect(next.record == original.record, "case \(seed): seq \(next.record.seq) delivered with other bytes")
                    delivered[next.record.seq, default: 0] += 1
                    spool.acknowledge(next.id)
                }
            }
        }
        for (index, w) in written.enumerated() {
            let seq = Int64(index)
            let ackLost = changedAcks.contains(w.file.replacingOccurrences(of: ".seg", with: ".ack"))
            if touched.contains(index) {
                #expect(delivered[seq] == nil, "case \(seed) \(operations): touched seq \(seq) was delivered")
            } else if w.acknowledged && !ackLost {
                #expect(delivered[seq] == nil, "case \(seed) \(operations): acknowledged seq \(seq) was delivered again")
            } else if w.acknowledged {
                #expect((delivered[seq] ?? 0) <= 1, "case \(seed): seq \(seq) delivered twice")
            } else {
                #expect(delivered[seq] == 1, "case \(seed) \(operations): untouched seq \(seq) delivered \(delivered[seq] ?? 0) times")
            }
        }
        // Damage must be counted whenever it hit what the spool reads: a record still to deliver,
        // an acknowledgement file, a tail. (A body of an acknowledged record is never read again.)
        let damaged = log.count(.damaged)
        let mustCount = touched.contains { !written[$0].acknowledged } || grew || !changedAcks.isEmpty || !changedIndexes.isEmpty
        let changed = !touched.isEmpty || grew || !changedAcks.isEmpty || !changedIndexes.isEmpty
        #expect(!mustCount || damaged > 0, "case \(seed) \(operations): \(touched.count) touched, no damage counted")
        #expect(changed || damaged == 0, "case \(seed) \(operations): nothing changed, damage counted \(damaged)")
        #expect(damaged <= touched.count + changedAcks.count + changedIndexes.count + (grew ? 1 : 0) + 2 * operations.count)
    }

    /// Every file of the spool, by `stream/name`.
    private func snapshot(_ directory: String) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in segmentFiles(directory) + segmentFiles(directory, suffix: ".ack") + segmentFiles(directory, suffix: ".idx") {
            files[name] = FileManager.default.contents(atPath: directory + "/" + name).map { Array($0) }
        }
        return files
    }

    private func apply(_ damage: Damage, _ directory: String, _ random: inout SplitMix64) {
        let candidates = switch damage {
        case .ackGarbage: segmentFiles(directory, suffix: ".ack")
        case .indexGarbage: segmentFiles(directory, suffix: ".idx")
        default: segmentFiles(directory)
        }
        guard let name = candidates.randomElement(using: &random) else { return }
        let path = directory + "/" + name
        var bytes = Array(FileManager.default.contents(atPath: path) ?? Data())
        switch damage {
        case .overwrite, .ackGarbage, .indexGarbage:
            guard !bytes.isEmpty else { return }
            let start = Int.random(in: 0..<bytes.count, using: &random)
            let end = min(bytes.count, start + Int.random(in: 1...300, using: &random))
            for index in start..<end { bytes[index] = UInt8.random(in: 0...255, using: &random) }
        case .truncate:
            // Never exactly at a record boundary: a file cut there looks like one that ended there.
            guard bytes.count > 1 else { return }
            var cut = Int.random(in: 1..<bytes.count, using: &random)
            while cut > 1 && startsRecord(bytes, at: cut) { cut -= 1 }
            bytes.removeLast(bytes.count - cut)
        case .zeroLength:
            bytes = []
        case .appendGarbage:
            bytes += (0..<Int.random(in: 1...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    /// Whether a valid record header starts at `offset`.
    private func startsRecord(_ bytes: [UInt8], at offset: Int) -> Bool {
        bytes.withUnsafeBytes { raw in
            offset + RecordHeader.size <= raw.count && RecordHeader(decoding: UnsafeRawBufferPointer(rebasing: raw[offset...])) != nil
        }
    }
}
