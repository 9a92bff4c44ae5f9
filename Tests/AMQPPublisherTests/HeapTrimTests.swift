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
}
