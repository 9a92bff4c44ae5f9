import DedicatedThread
import Testing

@testable import Spool

/// Appends from several threads while another reads and acknowledges; the index stays small.
@Suite struct SpoolConcurrencyTests {
    @Test(.timeLimit(.minutes(1))) func concurrentWritersAndAReaderDeliverEveryRecordExactlyOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let streams = ["w0", "w1", "w2", "w3"]
        let perWriter = 400
        let delivered = try await Spool.withSpool(
            testConfiguration(directory.path, syncInterval: .milliseconds(1)), onDiscard: DiscardLog().handler
        ) { spool in
            try await withThrowingTaskGroup(of: [Int64].self) { group in
                for stream in streams {
                    group.addTask {
                        try await DedicatedThread.run(name: "writer-\(stream)") {
                            for seq in 0..<perWriter { try spool.append(makeRecord(stream, Int64(seq), bodyBytes: 300), unread: true) }
                            return []
                        }
                    }
                }
                group.addTask {
                    try await DedicatedThread.run(name: "reader") {
                        var seen: [Int64] = []
                        while seen.count < streams.count * perWriter {
                            for stream in streams {
                                guard let next = try spool.next(stream: stream) else { continue }
                                // A record with other bytes shows as -1 (no expectation off the test's task).
                                let intact = next.record == makeRecord(stream, next.record.seq, bodyBytes: 300)
                                seen.append(intact ? Int64(streams.firstIndex(of: stream)! * perWriter) + next.record.seq : -1)
                                spool.acknowledge(next.id)
                            }
                        }
                        return seen
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        #expect(delivered.sorted() == (0..<Int64(streams.count * perWriter)).map { $0 })
    }

    @Test(.timeLimit(.minutes(1))) func syncingEveryAppendStoresAndDeliversTheSame() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration = testConfiguration(directory.path, syncInterval: .zero)
        try await Spool.withSpool(configuration, onDiscard: DiscardLog().handler) { spool in
            for seq in 0..<20 { try spool.append(makeRecord("s", Int64(seq), bodyBytes: 500), unread: true) }
            for _ in 0..<10 { spool.acknowledge(try #require(try spool.next(stream: "s")).id) }
        }
        try await Spool.withSpool(configuration, onDiscard: DiscardLog().handler) { spool in
            let read = try drain(spool, "s").map(\.record.seq)
            #expect(read == Array(10..<20))
        }
    }

    @Test(.timeLimit(.minutes(1))) func theIndexHoldsAtMostThirtyTwoBytesPerRecord() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // A ten-minute outage of 8 streams at 5 records/s.
        let records = 24_000
        try await Spool.withSpool(testConfiguration(directory.path, maxBytes: 1 << 30), onDiscard: DiscardLog().handler) { spool in
            for seq in 0..<records { try spool.append(makeRecord("c\(seq % 8)", Int64(seq), bodyBytes: 16), unread: true) }
            let bytes = spool.state.withLock { $0.indexBytes }
            #expect(spool.usage.records == records)
            #expect(bytes <= 32 * records, "\(bytes) bytes for \(records) records")
        }
    }
}
