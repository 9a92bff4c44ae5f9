import AMQPPublisher
import Testing

/// Against the shared broker on 127.0.0.1:5672; each test has its own exchange and queue.
@Suite("Publisher against the shared broker")
struct PublisherIntegrationTests {
    static let url = "amqp://guest:guest@127.0.0.1:5672/%2f"

    func configuration(_ exchange: String, name: String) -> AMQPConfiguration {
        var config = AMQPConfiguration(urls: [Self.url], exchange: exchange)
        config.windowCount = 16
        config.connectionName = name
        return config
    }

    @Test(.timeLimit(.minutes(2)))
    func everyConfirmedMessageIsInTheQueue() async throws {
        let exchange = uniqueName("evtest.x"), queue = uniqueName("evtest.q")
        try await withBroker { b in
            try b.declareExchange(exchange)
            try b.declareQueue(queue, exchange: exchange, key: "camera.*.frame")
        }
        let n = 500
        let source = MessageSource(routingKey: "camera.cam-test.frame", size: 2000, limit: n)
        let counters = PublisherCounters()
        let (unsettled, url) = try await publishAndSettle(
            source, configuration(exchange, name: uniqueName("evtest-n")), counters: counters, timeout: .seconds(60))
        #expect(url == "amqp://guest:***@127.0.0.1:5672/%2f")
        #expect(unsettled.isEmpty)
        let counts = counters.snapshot()
        #expect(counts.published == n && counts.confirmed == n && counts.inFlight == 0 && counts.nacked == 0)
        #expect(source.ids(.confirmed).count == n)
        let received = try await withBroker { b in
            defer { b.delete(queue: queue, exchange: exchange) }
            return try b.drain(queue)
        }
        #expect(received.count == n)
        #expect(Set(received.map(\.messageID)) == source.ids(.confirmed))
        let first = try #require(received.first { $0.messageID == "m-7" })
        #expect(first.contentType == "application/octet-stream" && first.deliveryMode == 2 && first.bodySize == 2000)
        #expect(first.timestamp == 1_700_000_007)
        #expect(first.headers["camera_id"] == .string("cam-test"))
        #expect(first.headers["seq"] == .int64(7))
        #expect(first.headers["width"] == .int32(640))
    }

    @Test(.timeLimit(.minutes(1)))
    func rejectPublishOverflowIsCountedAsNacks() async throws {
        let exchange = uniqueName("evtest.x"), queue = uniqueName("evtest.q")
        try await withBroker { b in
            try b.declareExchange(exchange)
            try b.declareQueue(queue, exchange: exchange, key: "k",
                               arguments: [("x-max-length", .int64(5)), ("x-overflow", .string("reject-publish"))])
        }
        let source = MessageSource(routingKey: "k", limit: 40)
        let counters = PublisherCounters()
        let (unsettled, _) = try await publishAndSettle(
            source, configuration(exchange, name: uniqueName("evtest-nack")), counters: counters, timeout: .seconds(30))
        #expect(unsettled.isEmpty)
        let counts = counters.snapshot()
        let stored = try await withBroker { b in
            defer { b.delete(queue: queue, exchange: exchange) }
            return try b.drain(queue)
        }
        #expect(counts.nacked >= 35 - 16, "\(counts)")
        #expect(counts.confirmed + counts.nacked == 40)
        #expect(source.ids(.nacked).count == counts.nacked)
        #expect(stored.count == 5 && Set(stored.map(\.messageID)).isSubset(of: source.ids(.confirmed)))
    }

    @Test(.timeLimit(.minutes(1)))
    func unroutableMandatoryMessagesAreCountedAsReturned() async throws {
        let exchange = uniqueName("evtest.x")
        let source = MessageSource(routingKey: "nobody.listens", limit: 12)
        let counters = PublisherCounters()
        let (unsettled, _) = try await publishAndSettle(
            source, configuration(exchange, name: uniqueName("evtest-ret")), counters: counters, timeout: .seconds(30))
        #expect(unsettled.isEmpty)
        try await withBroker { b in b.delete(exchange: exchange) }
        let counts = counters.snapshot()
        #expect(counts.returned == 12 && counts.confirmed == 0 && counts.published == 12, "\(counts)")
        #expect(source.ids(.returned).count == 12)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [
        ("amqp://guest:s3cretpw@127.0.0.1:1/%2f", AMQPPublisherError.Code.connectFailed),
        ("amqp://guest:s3cretpw@127.0.0.1:5672/%2f", AMQPPublisherError.Code.authenticationFailed),
        ("amqp://guest:s3cretpw@no-such-host.invalid:5672/", AMQPPublisherError.Code.connectFailed),
        ("amqp://guest:s3cretpw@127.0.0.1:99999/", AMQPPublisherError.Code.invalidURL),
    ])
    func badURLsAndCredentialsGiveClearErrorsWithoutThePassword(_ url: String, _ code: AMQPPublisherError.Code) async {
        var config = configuration("evtest.unused", name: uniqueName("evtest-bad"))
        config.urls = [url]
        config.connectTimeout = .seconds(2)
        let counters = PublisherCounters()
        let carried = (1...3).map { MessageSource(routingKey: "k").message($0) }
        var unsettled = carried
        do {
            try await PublisherConnection.withGeneration(configuration: config, counters: counters, carrying: &unsettled) { _ in
                Issue.record("connected to \(url)")
            }
        } catch let error as AMQPPublisherError {
            #expect(error.code == code, "\(error)")
            #expect(!error.description.contains("s3cretpw"))
            #expect(error.description.contains("guest:***@") || code == .invalidURL, "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(unsettled.map(\.messageID) == carried.map(\.messageID), "the carried messages come back")
        #expect(counters.snapshot().reconnects == 0 && counters.snapshot().inFlight == 0)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [nil, "/nonexistent/ca.pem"])
    func tlsFailuresAreReportedAsSuch(_ caFile: String?) async {
        var config = configuration("evtest.unused", name: uniqueName("evtest-tls"))
        // A TLS handshake against the plain AMQP port, or a CA file that does not exist.
        config.urls = ["amqps://guest:s3cretpw@127.0.0.1:5672/%2f"]
        config.tls = AMQPConfiguration.TLS(caCertificatePath: caFile)
        config.connectTimeout = .seconds(2)
        config.handshakeTimeout = .seconds(2)
        var unsettled: [OutgoingMessage] = []
        do {
            try await PublisherConnection.withGeneration(configuration: config, carrying: &unsettled) { _ in
                Issue.record("TLS to a plain port succeeded")
            }
        } catch let error as AMQPPublisherError {
            #expect(error.code == .tlsFailed || (caFile == nil && error.code == .connectFailed), "\(error)")
            #expect(!error.description.contains("s3cretpw"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func triesTheURLsInTurn() async throws {
        var config = configuration("evtest.turns", name: uniqueName("evtest-urls"))
        config.urls = ["amqp://guest:pw1@127.0.0.1:1/%2f", Self.url]
        var unsettled: [OutgoingMessage] = []
        let connection = try await PublisherConnection.withGeneration(configuration: config, carrying: &unsettled) { connection in
            #expect(connection.connectedURL == "amqp://guest:***@127.0.0.1:5672/%2f")
            #expect(connection.failure == nil)
            return connection
        }
        #expect(connection.failure?.code == .closed)
        try await withBroker { b in b.delete(exchange: "evtest.turns") }
    }

    @Test(.timeLimit(.minutes(1)))
    func publishAfterCloseFailsAndCancelledPublishReturns() async throws {
        let exchange = uniqueName("evtest.x")
        let source = MessageSource(routingKey: "nobody", limit: 100_000)
        var unsettled: [OutgoingMessage] = []
        let connection = try await PublisherConnection.withGeneration(
            configuration: configuration(exchange, name: uniqueName("evtest-cancel")), carrying: &unsettled
        ) { connection in
            let publisher = Task { try await publishAll(source, on: connection) }
            publisher.cancel()
            await #expect(throws: CancellationError.self) { try await publisher.value }
            return connection
        }
        await #expect(throws: AMQPPublisherError.self) { try await connection.publish(source.message(999)) }
        #expect(connection.counters.snapshot().inFlight == 0)
        try await withBroker { b in b.delete(exchange: exchange) }
    }
}

/// Publishes all of `source` in one generation, waits up to `timeout` for every confirm (expecting
/// them all); returns what the generation handed back and the URL it connected to.
private func publishAndSettle(
    _ source: MessageSource, _ configuration: AMQPConfiguration, counters: PublisherCounters, timeout: Duration
) async throws -> (unsettled: [OutgoingMessage], url: String?) {
    var unsettled: [OutgoingMessage] = []
    let url = try await PublisherConnection.withGeneration(configuration: configuration, counters: counters, carrying: &unsettled) {
        connection in
        try await publishAll(source, on: connection)
        #expect(await connection.waitUntilSettled(timeout: timeout))
        return connection.connectedURL
    }
    return (unsettled, url)
}
