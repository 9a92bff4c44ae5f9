import Foundation
import Glibc
import Logging
import Synchronization
import Testing

@testable import AMQPPublisher

/// The connection thread gives freed heap pages back (`HeapTrim`) only when its generation was
/// connected: a failed connect, as every attempt during a broker outage is, skips the trim.
@Suite("Heap trim after a connected generation")
struct HeapTrimTests {
    /// Counts the trims of one generation, in place of `HeapTrim`.
    final class TrimProbe: Sendable {
        let count = Atomic(0)
    }

    /// Runs one generation on `urls` (connect, then close, which joins its thread).
    /// - Returns: how many times it trimmed, and whether it connected.
    func trims(urls: [String]) async -> (count: Int, connected: Bool) {
        var config = AMQPConfiguration(urls: urls, exchange: "")
        config.connectTimeout = .seconds(2)
        config.connectionName = uniqueName("evtest-trim")
        let probe = TrimProbe()
        let connection = PublisherConnection(
            configuration: config, counters: PublisherCounters(), republishing: [], logger: Logger(label: "evtest.trim"),
            releaseFreePages: { probe.count.add(1, ordering: .relaxed) })
        let connected = (try? await connection.connect()) != nil
        await connection.close()
        return (probe.count.load(ordering: .relaxed), connected)
    }

    @Test(.timeLimit(.minutes(1)))
    func aFailedConnectDoesNotTrim() async {
        // Nothing listens on ports 1 and 2: both attempts are refused.
        let outcome = await trims(urls: ["amqp://guest:pw@127.0.0.1:1/%2f", "amqp://guest:pw@127.0.0.1:2/%2f"])
        #expect(!outcome.connected)
        #expect(outcome.count == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func aConnectedGenerationTrimsOnceAsItsThreadEnds() async {
        let outcome = await trims(urls: [PublisherIntegrationTests.url])
        #expect(outcome.connected)
        #expect(outcome.count == 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func aRefusedLoginDoesNotTrim() async {
        // The broker answers but refuses the credentials: the generation never opens.
        let outcome = await trims(urls: ["amqp://guest:wrong-\(uniqueName("pw"))@127.0.0.1:5672/%2f"])
        #expect(!outcome.connected)
        #expect(outcome.count == 0)
    }

    /// The trim runs only when glibc's malloc is the allocator. Stated apart from the
    /// implementation: `malloc` resolves into glibc's libc.so.6, not into a sanitizer's
    /// interceptor in the executable (scripts/asan.sh and scripts/tsan.sh run this test too).
    @Test func trimsOnlyWhenGlibcIsTheAllocator() throws {
        let malloc = UInt(bitPattern: try #require(dlsym(nil, "malloc")))
        // The mapping that holds `malloc`'s code, from /proc/self/maps ("start-end perms offset dev inode path").
        // Read to the end: `stat` calls /proc files empty, so `String(contentsOfFile:)` reads nothing.
        let maps = String(decoding: try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/maps")).readToEnd() ?? Data(), as: UTF8.self)
        let library = maps.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let range = fields.first?.split(separator: "-").compactMap { UInt($0, radix: 16) } ?? []
            guard range.count == 2, range[0] <= malloc, malloc < range[1], fields.count > 5 else { return nil }
            return String(fields[5])
        }.first
        let path = try #require(library, "no mapping holds malloc")
        #expect(HeapTrim.isGlibcTheAllocator == path.hasSuffix("/libc.so.6"), "malloc is in \(path)")
    }
}
