import DedicatedThread
import Foundation
import Supervision
import Testing

@testable import Spool

/// A writer process SIGKILLed at 100 seeded instants, then the spool reopened: every append that
/// had returned before the kill is delivered (or was acknowledged), at most the record being
/// written is lost, and nothing crashes.
///
/// The writer is this test binary, re-run on ``crashWriterChild()`` with `SPOOL_CRASH_CHILD` set;
/// it reports each returned append (`A seq`) and acknowledgement (`K seq`) on descriptor 3.
@Suite struct SpoolCrashTests {
    static let childVariable = "SPOOL_CRASH_CHILD"

    @Test(.timeLimit(.minutes(3))) func everyReturnedAppendSurvivesASIGKILLAtOneHundredSeededInstants() async throws {
        let instants = ProcessInfo.processInfo.environment["SPOOL_CRASH_INSTANTS"].flatMap(Int.init) ?? 100
        var random = SplitMix64(seed: 0xC4A5_4000)
        let thresholds = (0..<instants).map { _ in Int.random(in: 1...400, using: &random) }
        // Two writers at a time: each costs mostly its start.
        let outcomes = try await withThrowingTaskGroup(of: [Outcome].self) { group in
            for lane in 0..<2 {
                group.addTask {
                    var outcomes: [Outcome] = []
                    for index in stride(from: lane, to: instants, by: 2) {
                        outcomes.append(try await Self.crashAndRecover(after: thresholds[index], index))
                    }
                    return outcomes
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(outcomes.count == instants)
        #expect(outcomes.allSatisfy { $0.appended > 0 }, "every writer appended before it was killed")
        print(
            "spool crash: \(outcomes.count) kills, \(outcomes.reduce(0) { $0 + $1.appended }) returned appends, "
                + "\(outcomes.reduce(0) { $0 + $1.delivered }) delivered after reopen, "
                + "\(outcomes.filter { $0.unreported > 0 }.count) with the append in progress delivered too, "
                + "\(outcomes.filter { $0.damaged > 0 }.count) with a torn record counted")
    }

    /// What one kill and reopen showed.
    struct Outcome: Sendable {
        var appended: Int
        var delivered: Int
        var unreported: Int
        var damaged: Int
    }

    private static func crashAndRecover(after threshold: Int, _ index: Int) async throws -> Outcome {
        let directory = try TemporaryDirectory("spool-crash")
        defer { directory.remove() }
        let lines = try await DedicatedThread.run(name: "crash-\(index)") {
            try ChildWriter.runUntilKilled(directory: directory.path, test: "crashWriterChild", variable: childVariable, afterLines: threshold)
        }
        var appended = Set<Int64>()
        var acknowledged = Set<Int64>()
        for line in lines {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let seq = Int64(parts[1]) else { continue }
            if parts[0] == "A" { appended.insert(seq) } else { acknowledged.insert(seq) }
        }
        #expect(lines.count >= threshold, "instant \(index): the writer wrote \(lines.count) lines before the kill")
        var delivered: [Int64: Int] = [:]
        let log = DiscardLog()
        try await Spool.withSpool(testConfiguration(directory.path), onDiscard: log.handler) { spool in
            for stream in ChildWriter.streams {
                for (_, record) in try drain(spool, stream) {
                    #expect(record == ChildWriter.record(record.seq), "instant \(index): seq \(record.seq) has other bytes")
                    delivered[record.seq, default: 0] += 1
                }
            }
        }
        let missing = appended.subtracting(acknowledged).filter { delivered[$0] == nil }
        #expect(missing.isEmpty, "instant \(index) (after \(threshold) lines): returned appends lost: \(missing.sorted())")
        #expect(delivered.values.allSatisfy { $0 == 1 })
        let unreported = Set(delivered.keys).subtracting(appended)
        #expect(unreported.count <= 1, "instant \(index): only the append being made may be unreported: \(unreported.sorted())")
        return Outcome(appended: appended.count, delivered: delivered.count, unreported: unreported.count, damaged: log.count(.damaged))
    }

    /// The writer: appends (and acknowledges some) until killed. Does nothing unless run as the child.
    @Test func crashWriterChild() async throws {
        guard let directory = ProcessInfo.processInfo.environment[Self.childVariable] else { return }
        let report = FileHandle(fileDescriptor: 3, closeOnDealloc: false)
        // A short sync interval, so the kill also lands during syncs and acknowledgement writes.
        let configuration = testConfiguration(directory, syncInterval: .milliseconds(2))
        try await Spool.withSpool(configuration, onDiscard: { _, _, _ in }) { spool in
            for seq in Int64(0)..<100_000 {
                try spool.append(ChildWriter.record(seq), unread: true)
                report.write(Data("A \(seq)\n".utf8))
                if seq % 3 == 2, let next = try spool.next(stream: ChildWriter.streams[Int(seq) % 2]) {
                    // Reported before it is made, so an acknowledgement cut short is still known.
                    report.write(Data("K \(next.record.seq)\n".utf8))
                    spool.acknowledge(next.id)
                }
            }
        }
    }
}
