@testable import AMQPPublisher
import Supervision
import Testing

/// The plain-TCP batch writer against the shared broker on 127.0.0.1:5672: what the broker stores
/// is what was published, byte for byte.
@Suite("Batch writes against the shared broker")
struct BatchWriteTests {
    @Test(.timeLimit(.minutes(2)))
    func generatedMessagesAcrossFrameMaxComeBackByteForByte() async throws {
        let exchange = uniqueName("evtest.x"), queue = uniqueName("evtest.q")
        try await withBroker { b in
            try b.declareExchange(exchange)
            try b.declareQueue(queue, exchange: exchange, key: "batch.#")
        }
        // The broker's frame_max is 131,072, the one the connection asks for.
        let perFrame = 131_072 - 8
        var random = SplitMix64(seed: 2026)
        let edges = [0, 1, perFrame - 1, perFrame, perFrame + 1, 2 * perFrame, 3 * perFrame, 0, 2 * perFrame + 7]
        var messages = (0..<48).map { _ in random.message(frameMax: 131_072) }
        for i in messages.indices {
            if i < edges.count { messages[i].body = [UInt8](repeating: UInt8(i), count: edges[i]) }
            if i < edges.count, !messages[i].body.isEmpty { messages[i].body[messages[i].body.count - 1] = 0xEE }
            messages[i].routingKey = "batch.\(i)"
            messages[i].messageID = "b-\(i)-" + messages[i].messageID
            // Distinct keys: the broker keeps a table's entries, but a dictionary compares them here.
            messages[i].headers = messages[i].headers.enumerated().map { ("h\($0.offset)", $0.element.1) }
        }
        var config = AMQPConfiguration(urls: [PublisherIntegrationTests.url], exchange: exchange)
        config.connectionName = uniqueName("evtest-batch")
        let counters = PublisherCounters()
        var unsettled: [OutgoingMessage] = []
        try await PublisherConnection.withGeneration(configuration: config, counters: counters, carrying: &unsettled) { connection in
            for message in messages { try await connection.publish(message) }
            #expect(await connection.waitUntilSettled(timeout: .seconds(60)))
        }
        #expect(unsettled.isEmpty)
        let counts = counters.snapshot()
        #expect(counts.published == messages.count && counts.confirmed == messages.count && counts.returned == 0)
        // Every message went through the connection's own writer, none through amqp_basic_publish.
        #expect(counters.batchWritten.load(ordering: .relaxed) == messages.count)

        let received = try await withBroker { b in
            defer { b.delete(queue: queue, exchange: exchange) }
            return try b.drain(queue)
        }
        #expect(received.count == messages.count)
        for (got, sent) in zip(received, messages) {
            #expect(got.messageID == sent.messageID)
            #expect(got.body == sent.body, "\(sent.messageID): \(got.body.count) bytes back of \(sent.body.count)")
            #expect(got.contentType == (sent.contentType ?? ""))
            #expect(got.deliveryMode == (sent.deliveryMode ?? 2))
            #expect(got.timestamp == sent.timestamp.map { UInt64(bitPattern: $0) } ?? 0)
            #expect(got.headers == Dictionary(uniqueKeysWithValues: sent.headers))
        }
    }
}
