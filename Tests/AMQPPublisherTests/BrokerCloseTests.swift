import AMQPPublisher
import EdgeVideoTestSupport
import Testing

/// The broker's closes as typed data: the classification table (docs/delivery.md, "Broker
/// refusals"), and real closes of the shared broker carrying their scope and reply code.
@Suite struct BrokerCloseTests {
    @Test(arguments: [
        (BrokerClose.Scope.channel, BrokerClose.ReplyCode.preconditionFailed, BrokerClose.Fault.message),
        (.channel, .contentTooLarge, .message),
        (.channel, .accessRefused, .connection),
        (.channel, .notFound, .connection),
        (.channel, .resourceLocked, .connection),
        (.channel, .notAllowed, .connection),
        (.channel, .internalError, .connection),
        (.channel, BrokerClose.ReplyCode(rawValue: 599), .connection),
        (.connection, .preconditionFailed, .connection),
        (.connection, .connectionForced, .connection),
        (.connection, .frameError, .connection),
        (.connection, .unexpectedFrame, .connection),
        (.connection, .notAllowed, .connection),
        (.connection, .accessRefused, .connection),
        (.connection, .internalError, .connection),
    ])
    func faultIsDecidedOnScopeAndCodeOnly(_ scope: BrokerClose.Scope, _ code: BrokerClose.ReplyCode, _ fault: BrokerClose.Fault) {
        // The text says "message too large" on a 403: it changes nothing.
        let close = BrokerClose(scope: scope, replyCode: code, replyText: "PRECONDITION_FAILED - message size too large", classID: 60, methodID: 40)
        #expect(close.fault == fault, "\(close)")
    }

    @Test func replyNamesTheCodeOnce() {
        let refused = BrokerClose(
            scope: .channel, replyCode: .accessRefused,
            replyText: "ACCESS_REFUSED - access to exchange 'x' in vhost 'v' refused for user 'guest'", classID: 60, methodID: 40)
        #expect(refused.reply == "403 ACCESS_REFUSED - access to exchange 'x' in vhost 'v' refused for user 'guest'")
        #expect(refused.description == "channel closed: " + refused.reply)
        #expect(BrokerClose(scope: .connection, replyCode: .init(rawValue: 599), replyText: "odd").reply == "599 odd")
        #expect(BrokerClose(scope: .connection, replyCode: .connectionForced, replyText: "").description == "connection closed: 320 CONNECTION_FORCED")
    }

    /// A vhost of the test's own where guest may configure and read but not write: every publish
    /// is refused with 403 on the channel, and every message comes back unsettled.
    @Test(.timeLimit(.minutes(1))) func writePermissionRevokedIsA403OfTheLinkAndKeepsTheMessages() async throws {
        let vhost = uniqueName("evtest-403")
        try await Rabbitmqctl.ctl("add_vhost", vhost)
        do {
            try await Rabbitmqctl.ctl("set_permissions", "-p", vhost, "guest", ".*", "", ".*")
            try await publishRefused(vhost: vhost)
        } catch {
            _ = try? await Rabbitmqctl.ctl("delete_vhost", vhost)
            throw error
        }
        try await Rabbitmqctl.ctl("delete_vhost", vhost)
    }

    private func publishRefused(vhost: String) async throws {
        var config = AMQPConfiguration(urls: ["amqp://guest:guest@127.0.0.1:5672/\(vhost)"], exchange: uniqueName("evtest.x"))
        config.connectionName = uniqueName("evtest-403")
        let source = MessageSource(routingKey: "k", limit: 5)
        var unsettled: [OutgoingMessage] = []
        let error = await #expect(throws: AMQPPublisherError.self) {
            try await PublisherConnection.withGeneration(configuration: config, carrying: &unsettled) { connection in
                try await publishAll(source, on: connection)
                try await connection.waitUntilEnded()
            }
        }
        let close = try #require(error?.brokerClose, "\(String(describing: error))")
        #expect(close.scope == .channel && close.replyCode == .accessRefused && close.fault == .connection, "\(close)")
        #expect(close.classID == 60 && close.methodID == 40, "basic.publish")
        #expect(error?.code == .brokerRefused)
        // Nothing was settled: every message taken from the source is handed back by the
        // generation or was put back by its failed publish. How many were taken depends on how
        // many publishes the task made before the 403 came back.
        let (settlements, taken, putBack) = source.record.withLock { ($0.settlements, $0.next, $0.putBack) }
        #expect(settlements == 0)
        #expect(taken >= 1)
        #expect(Set((unsettled + putBack).map(\.messageID)) == Set((1...taken).map { "m-\($0)" }))
        #expect(unsettled.count + putBack.count == taken, "each message once")
    }

    /// The exchange deleted under a live connection: 404 on the channel; the next generation
    /// declares it again, so a queue can be bound to it and the next messages are routed.
    @Test(.timeLimit(.minutes(1))) func deletedExchangeIsA404OfTheLinkAndTheNextGenerationRedeclaresIt() async throws {
        let exchange = uniqueName("evtest.x"), queue = uniqueName("evtest.q")
        var config = AMQPConfiguration(urls: [PublisherIntegrationTests.url], exchange: exchange)
        config.connectionName = uniqueName("evtest-404")
        let source = MessageSource(routingKey: "k", limit: 3)
        var unsettled: [OutgoingMessage] = []
        let error = await #expect(throws: AMQPPublisherError.self) {
            try await PublisherConnection.withGeneration(configuration: config, carrying: &unsettled) { connection in
                try await connection.publish(source.message(1))
                #expect(await connection.waitUntilSettled(timeout: .seconds(10)))
                try await withBroker { b in b.delete(exchange: exchange) }
                try await connection.publish(source.message(2))
                try await connection.waitUntilEnded()
            }
        }
        let close = try #require(error?.brokerClose, "\(String(describing: error))")
        #expect(close.scope == .channel && close.replyCode == .notFound && close.fault == .connection, "\(close)")
        #expect(unsettled.map(\.messageID) == ["m-2"], "the refused message is handed back")
        // Unroutable (nothing bound yet), with mandatory: returned, not confirmed.
        #expect(source.ids(.returned) == ["m-1"] && source.ids(.confirmed).isEmpty)

        let counters = PublisherCounters()
        // Carried by hand, so that they go out only once the queue is bound.
        let kept = unsettled
        var none: [OutgoingMessage] = []
        try await PublisherConnection.withGeneration(configuration: config, counters: counters, carrying: &none) { connection in
            // Binding fails with 404 unless this generation declared the exchange again.
            try await withBroker { b in try b.declareQueue(queue, exchange: exchange, key: "k") }
            for message in kept + [source.message(3)] { try await connection.publish(message) }
            #expect(await connection.waitUntilSettled(timeout: .seconds(10)))
        }
        let received = try await withBroker { b in
            defer { b.delete(queue: queue, exchange: exchange) }
            return try b.drain(queue)
        }
        #expect(received.map(\.messageID) == ["m-2", "m-3"])
        #expect(counters.snapshot().confirmed == 2 && counters.snapshot().returned == 0)
    }
}
