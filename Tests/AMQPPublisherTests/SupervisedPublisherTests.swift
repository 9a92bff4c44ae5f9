import AMQPPublisher
import EdgeVideoTestSupport
import Locking
import Logging
import Supervision
import Testing

/// The app's shape: a camera's `oneForAll` subtree whose generation scope is one
/// `PublisherConnection.withGeneration`, with a connection watch and the publisher as its two
/// children. Forced reconnects restart the subtree; no child outlives its connection, and nothing of
/// one generation reaches the next but the messages it hands back.
@Suite("Publisher generations under a Supervision subtree")
struct SupervisedPublisherTests {
    /// Ordered record of what each generation did.
    final class Journal: Sendable {
        let entries = Locked<[String]>([])
        let carry = Locked<[OutgoingMessage]>([])
        func log(_ entry: String) { entries.withLock { $0.append(entry) } }
        func index(_ entry: String) -> Int? { entries.withLock { $0.firstIndex(of: entry) } }
        func takeCarry() -> [OutgoingMessage] {
            carry.withLock { carry in
                defer { carry = [] }
                return carry
            }
        }
        var connectedGenerations: Int { entries.withLock { $0.filter { $0.hasPrefix("connected ") }.count } }
    }

    @Test(.timeLimit(.minutes(3)))
    func forcedReconnectsRestartTheSubtreeAndLoseNothing() async throws {
        let exchange = uniqueName("evtest.x"), queue = uniqueName("evtest.q"), name = uniqueName("evt-sup")
        try await withBroker { b in
            try b.declareExchange(exchange)
            try b.declareQueue(queue, exchange: exchange, key: "k")
        }
        var config = AMQPConfiguration(urls: [PublisherIntegrationTests.url], exchange: exchange)
        config.windowCount = 16
        config.connectionName = name
        let configuration = config
        let counters = PublisherCounters()
        let source = MessageSource(routingKey: "k", size: 512)
        let journal = Journal()
        let camera = Supervisor(
            id: "camera:test", strategy: .oneForAll, intensity: .unlimited,
            backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(200)),
            logger: Logger(label: "evtest.supervision")
        ) { generation, startChildren in
            var carry = journal.takeCarry()
            defer {
                journal.carry.withLock { $0 = carry }
                journal.log("closed \(generation)")
            }
            try await PublisherConnection.withGeneration(configuration: configuration, counters: counters, carrying: &carry) {
                connection in
                journal.log("connected \(generation)")
                try await startChildren([
                    ChildSpec(id: "connection") {
                        defer { journal.log("watch returned \(generation)") }
                        try await connection.waitUntilEnded()
                    },
                    ChildSpec(id: "publisher") {
                        defer { journal.log("publisher returned \(generation)") }
                        try await publishAll(source, on: connection)
                    },
                ])
            }
        }
        let running = Task { try await camera.run() }

        // Five times: wait for this generation's connection at the broker, then close it there.
        for round in 1...5 {
            try await eventually(within: .seconds(30), "generation \(round) connected and over \(round * 50) confirmed") {
                journal.connectedGenerations >= round && counters.snapshot().confirmed > round * 50
            }
            try await eventually(within: .seconds(30), "generation \(round)'s connection closed at the broker") {
                try await Rabbitmqctl.closeConnections(named: name) == 1
            }
        }
        try await eventually(within: .seconds(30), "generation 6 connected") { journal.connectedGenerations >= 6 }
        camera.stop()
        try await running.value

        // What the last generation left unconfirmed goes out on one more connection.
        var carry = journal.takeCarry()
        try await PublisherConnection.withGeneration(configuration: config, counters: counters, carrying: &carry) { last in
            try await publishAll(source, on: last, stop: { !source.hasPutBack })
            #expect(await last.waitUntilSettled(timeout: .seconds(30)))
        }
        #expect(carry.isEmpty)

        let counts = counters.snapshot()
        #expect(counts.reconnects >= 6 && counts.inFlight == 0, "\(counts)")
        #expect(camera.snapshot().restarts >= 5)
        for g in 1...5 {
            let closed = try #require(journal.index("closed \(g)"))
            #expect(try #require(journal.index("watch returned \(g)")) < closed, "watch of \(g) outlived its connection")
            #expect(try #require(journal.index("publisher returned \(g)")) < closed)
            #expect(closed < (journal.index("connected \(g + 1)") ?? .max), "generation \(g + 1) opened before \(g) closed")
        }
        let received = try await withBroker { b in
            defer { b.delete(queue: queue, exchange: exchange) }
            return try b.drain(queue)
        }
        let ids = Set(received.map(\.messageID))
        #expect(source.ids(.confirmed).count == source.produced)
        #expect(source.ids(.confirmed).isSubset(of: ids))
        #expect(received.count - ids.count <= 16 * counts.reconnects)
    }
}
