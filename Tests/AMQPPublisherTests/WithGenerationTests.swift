import AMQPPublisher
import EdgeVideoTestSupport
import Glibc
import Locking
import Testing

/// `withGeneration` hands back every message it did not settle, in order, and joins its thread,
/// whether the connect failed, the body threw or the task was cancelled.
@Suite("withGeneration hands everything back")
struct WithGenerationTests {
    struct Boom: Error {}

    func configuration(_ exchange: String, urls: [String] = [PublisherIntegrationTests.url]) -> (AMQPConfiguration, String) {
        var config = AMQPConfiguration(urls: urls, exchange: exchange)
        config.windowCount = 16
        config.connectTimeout = .seconds(2)
        config.connectionName = uniqueName("evtest-gen")
        config.threadName = uniqueName("gen")
        return (config, config.threadName!)
    }

    /// Every message of `all` was either settled (its callback ran) or handed back, never both;
    /// the handed-back ones keep their order.
    func expectPartition(_ all: [String], settled: Set<String>, handedBack: [String], _ comment: Comment? = nil) {
        #expect(Set(handedBack).isDisjoint(with: settled), "settled and handed back: \(Set(handedBack).intersection(settled))")
        #expect(settled.union(handedBack) == Set(all), "vanished: \(Set(all).subtracting(settled).subtracting(handedBack).prefix(5))")
        let order = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1, $0) })
        #expect(handedBack.map { order[$0]! } == handedBack.map { order[$0]! }.sorted(), "out of order: \(handedBack)")
    }

    @Test(.timeLimit(.minutes(1)))
    func aFailedConnectHandsBackEveryCarriedMessageInOrder() async throws {
        let (config, thread) = configuration(
            "evtest.unused", urls: ["amqp://guest:pw@127.0.0.1:1/%2f", "amqp://guest:pw@127.0.0.1:2/%2f"])
        let source = MessageSource(routingKey: "k")
        let carried = (1...20).map(source.message)
        let counters = PublisherCounters()
        var unsettled = carried
        var bodyRan = false
        await #expect(throws: AMQPPublisherError.self) {
            try await PublisherConnection.withGeneration(configuration: config, counters: counters, carrying: &unsettled) { _ in
                bodyRan = true
            }
        }
        #expect(!bodyRan)
        #expect(unsettled.map(\.messageID) == carried.map(\.messageID))
        #expect(source.record.withLock { $0.settlements } == 0)
        #expect(counters.snapshot().inFlight == 0 && counters.snapshot().published == 0)
        #expect(threads(named: thread) == 0, "the thread is joined when the scope returns")
    }

    @Test(.timeLimit(.minutes(1)))
    func aBodyThatThrowsGetsEveryUnsettledMessageBack() async throws {
        let exchange = uniqueName("evtest.x"), queue = uniqueName("evtest.q")
        try await withBroker { b in
            try b.declareExchange(exchange)
            try b.declareQueue(queue, exchange: exchange, key: "k")
        }
        let (config, thread) = configuration(exchange)
        let source = MessageSource(routingKey: "k", size: 4096, limit: 120)
        // 100 carried in (the window takes 16 at a time), 20 published by the body, which then throws
        // at once: the last ones accepted cannot have been confirmed yet.
        var unsettled = (1...100).map { _ in source.next()! }
        await #expect(throws: Boom.self) {
            try await PublisherConnection.withGeneration(configuration: config, carrying: &unsettled) { connection in
                try await publishAll(source, on: connection)
                throw Boom()
            }
        }
        #expect(threads(named: thread) == 0)
        let all = (1...120).map { "m-\($0)" }
        expectPartition(all, settled: Set(source.record.withLock { $0.outcomes.keys }), handedBack: unsettled.map(\.messageID))
        #expect(!unsettled.isEmpty)

        // What came back goes out on the next generation; then every message is confirmed.
        try await PublisherConnection.withGeneration(configuration: config, carrying: &unsettled) { connection in
            #expect(await connection.waitUntilSettled(timeout: .seconds(30)))
        }
        #expect(unsettled.isEmpty)
        #expect(source.ids(.confirmed) == Set(all))
        let received = try await withBroker { b in
            defer { b.delete(queue: queue, exchange: exchange) }
            return try b.drain(queue)
        }
        #expect(Set(received.map(\.messageID)) == Set(all))
    }

    @Test(.timeLimit(.minutes(1)))
    func aCancelledGenerationGetsEveryUnsettledMessageBack() async throws {
        let exchange = uniqueName("evtest.x")
        let (config, thread) = configuration(exchange)
        let source = MessageSource(routingKey: "nobody", size: 1024)
        let counters = PublisherCounters()
        let carried = (1...50).map { _ in source.next()! }
        let generation = Task { () -> ([OutgoingMessage], (any Error)?) in
            var unsettled = carried
            do {
                try await PublisherConnection.withGeneration(configuration: config, counters: counters, carrying: &unsettled) {
                    connection in
                    try await publishAll(source, on: connection)
                }
                return (unsettled, nil)
            } catch {
                return (unsettled, error)
            }
        }
        try await eventually(within: .seconds(30), "300 messages published") { counters.snapshot().published >= 300 }
        generation.cancel()
        let (unsettled, error) = await generation.value
        #expect(error is CancellationError, "\(String(describing: error))")
        #expect(threads(named: thread) == 0)
        #expect(counters.snapshot().inFlight == 0)
        // A message whose publish was cancelled went back to the source: it was never accepted.
        let putBack = source.record.withLock { $0.putBack.map(\.messageID) }
        let all = (1...source.produced).map { "m-\($0)" }.filter { !putBack.contains($0) }
        expectPartition(all, settled: Set(source.record.withLock { $0.outcomes.keys }), handedBack: unsettled.map(\.messageID))
        try await withBroker { b in b.delete(exchange: exchange) }
    }

    @Test(.timeLimit(.minutes(1)))
    func aGenerationCancelledBeforeItConnectsHandsBackWhatItCarried() async throws {
        let (config, thread) = configuration("evtest.unused")
        let source = MessageSource(routingKey: "k")
        let carried = (1...10).map(source.message)
        let generation = Task { () -> [OutgoingMessage] in
            withUnsafeCurrentTask { $0?.cancel() }
            var unsettled = carried
            _ = try? await PublisherConnection.withGeneration(configuration: config, carrying: &unsettled) { _ in
                Issue.record("the body ran in a cancelled task")
            }
            return unsettled
        }
        #expect(await generation.value.map(\.messageID) == carried.map(\.messageID))
        #expect(threads(named: thread) == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingAGenerationStuckInItsHandshakeReturnsAtOnce() async throws {
        let listener = try SilentListener()
        var (config, thread) = configuration("evtest.unused", urls: ["amqp://guest:pw@127.0.0.1:\(listener.port)/%2f"])
        config.handshakeTimeout = .seconds(120)  // longer than the test may run
        config.rpcTimeout = .seconds(120)
        let carried = (1...5).map(MessageSource(routingKey: "k").message)
        let generation = Task { () -> ([OutgoingMessage], (any Error)?) in
            var unsettled = carried
            do {
                try await PublisherConnection.withGeneration(configuration: config, carrying: &unsettled) { _ in
                    Issue.record("a silent server completed the handshake")
                }
                return (unsettled, nil)
            } catch {
                return (unsettled, error)
            }
        }
        // The handshake is under way once the connection waits in the listener's queue.
        try await eventually(within: .seconds(30), "the connection waiting in the listener's queue") { listener.hasPendingConnection }
        let clock = ContinuousClock()
        let cancelledAt = clock.now
        generation.cancel()
        let (unsettled, error) = await generation.value
        #expect(cancelledAt.duration(to: clock.now) < .seconds(10), "the socket was shut down, not timed out")
        #expect((error as? AMQPPublisherError)?.code == .closed, "\(String(describing: error))")
        #expect(unsettled.map(\.messageID) == carried.map(\.messageID))
        #expect(threads(named: thread) == 0)
    }
}

/// A TCP listener on 127.0.0.1 that never accepts: connects succeed (the kernel queues them), then
/// hear nothing, as from a broker that hangs in its handshake.
final class SilentListener: Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = fd
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw CommandFailure(description: "cannot listen")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a connection waits to be accepted.
    var hasPendingConnection: Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 1
    }

    deinit {
        close(fd)
    }
}
