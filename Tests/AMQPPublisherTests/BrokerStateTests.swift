@testable import AMQPPublisher
import EdgeVideoTestSupport
import Glibc
import Testing

/// Tests that change broker-wide state or force hundreds of reconnects. Each runs against a node of
/// its own (``ScratchNode``), never the shared one, and the suite is serialized.
@Suite("Publisher against a broker of its own", .serialized)
struct BrokerStateTests {
    func prepare(_ broker: ScratchNode, window: Int, heartbeat: Duration, name: String) async throws -> (AMQPConfiguration, String) {
        let queue = "evtest.q"
        try await withBroker(port: broker.port) { b in
            try b.declareExchange("evtest.x")
            try b.declareQueue(queue, exchange: "evtest.x", key: "k")
        }
        var config = AMQPConfiguration(urls: [broker.url], exchange: "evtest.x", heartbeat: heartbeat,
                                       confirmTimeout: max(heartbeat * 2, .seconds(4)))
        config.connectTimeout = .seconds(1)
        config.windowCount = window
        config.connectionName = name
        return (config, queue)
    }

    func checkQueue(_ broker: ScratchNode, _ queue: String, _ source: MessageSource, window: Int, reconnects: Int) async throws {
        let received = try await withBroker(port: broker.port) { b in try b.drain(queue) }
        let ids = Set(received.map(\.messageID))
        let confirmed = source.ids(.confirmed)
        #expect(confirmed.count == source.produced,
                "every produced message ends confirmed; \(source.ids(.returned).count) returned, \(source.ids(.nacked).count) nacked")
        #expect(confirmed.isSubset(of: ids), "missing: \(confirmed.subtracting(ids).prefix(5))")
        let duplicates = received.count - ids.count
        #expect(duplicates <= window * max(reconnects, 1), "\(duplicates) duplicates for \(reconnects) reconnects")
    }

    @Test(.timeLimit(.minutes(5)))
    func survives200ForcedClosesWithoutLeaks() async throws {
        try await ScratchNode.with("publisher") { broker in
            let name = uniqueName("evt-rc")
            let window = 16
            let (config, queue) = try await prepare(broker, window: window, heartbeat: .seconds(10), name: name)
            let baseline = ProcessResources.now()
            let counters = PublisherCounters()
            let source = MessageSource(routingKey: "k", size: 256)
            let loop = GenerationLoop(configuration: config, counters: counters, source: source)
            let done = Flag()
            async let left = loop.run(stop: { done.isSet })
            let closed = try await Rabbitmqctl.closeRepeatedly(named: name, times: 200, node: broker.node)
            done.set()
            #expect(await left.isEmpty)
            #expect(closed == 200)
            let counts = counters.snapshot()
            // The closer waits for a new connection before each close, so `closed` distinct
            // connections existed. A close can land while a connect is still declaring and
            // selecting confirms (that connect then fails); every other one was followed by a
            // reconnect, except perhaps the last (the loop may stop first).
            let interruptedConnects = loop.connectFailures.load(ordering: .relaxed)
            #expect(counts.reconnects + interruptedConnects >= closed - 1 && counts.inFlight == 0,
                    "\(counts), \(interruptedConnects) interrupted connects")
            #expect(counts.republished > 0 && counts.confirmed >= source.produced, "\(counts)")
            try await checkQueue(broker, queue, source, window: window, reconnects: counts.reconnects)

            // Resources: no thread of ours is left, and threads/descriptors are back to the baseline
            // (with a little slack for other suites running in parallel: a leak would be ≥ 200).
            try await eventually(
                within: .seconds(20),
                "no \(name) thread, threads/fds back to baseline \(baseline.threads)/\(baseline.descriptors) (now \(ProcessResources.now()))"
            ) {
                let now = ProcessResources.now()
                return !now.threadNames.contains(String(name.prefix(15)))
                    && now.threads <= baseline.threads + 8 && now.descriptors <= baseline.descriptors + 8
            }

            // Broker side: exactly the connections alive.
            try await eventually(within: .seconds(30), "no connection named \(name) at the broker") {
                try await Rabbitmqctl.connections(named: name, node: broker.node).isEmpty
            }
            var none: [OutgoingMessage] = []
            try await PublisherConnection.withGeneration(configuration: config, counters: counters, carrying: &none) { _ in
                let open = try await Rabbitmqctl.connections(named: name, node: broker.node)
                #expect(open.count == 1)
                #expect(ProcessResources.now().threadNames.filter { $0 == String(name.prefix(15)) }.count == 1)
            }
            #expect(threads(named: String(name.prefix(15))) == 0, "joined when the scope returns")
            try await eventually(within: .seconds(30), "no connection named \(name) at the broker") {
                try await Rabbitmqctl.connections(named: name, node: broker.node).isEmpty
            }
        }
    }

    @Test(.timeLimit(.minutes(4)))
    func survivesStopAppAndStartApp() async throws {
        try await ScratchNode.with("publisher") { broker in
            let (config, queue) = try await prepare(broker, window: 16, heartbeat: .seconds(2), name: uniqueName("evt-app"))
            let counters = PublisherCounters()
            let source = MessageSource(routingKey: "k", size: 1024)
            let loop = GenerationLoop(configuration: config, counters: counters, source: source)
            let done = Flag()
            async let left = loop.run(stop: { done.isSet })
            try await eventually(within: .seconds(30), "200 messages confirmed") { counters.snapshot().confirmed >= 200 }
            try await Rabbitmqctl.ctl(node: broker.node, "stop_app")
            // The connection is lost, and at least one reconnect attempt is refused.
            try await eventually(within: .seconds(30), "the connection lost and a reconnect refused") { loop.failureCount >= 2 }
            let confirmedWhileDown = counters.snapshot().confirmed
            try await Rabbitmqctl.ctl(node: broker.node, "start_app")
            try await eventually(within: .seconds(60), "a reconnect and 200 more confirms after start_app") {
                let c = counters.snapshot()
                return c.reconnects >= 1 && c.confirmed >= confirmedWhileDown + 200
            }
            done.set()
            #expect(await left.isEmpty)
            let failures = loop.failures.withLock { $0 }
            #expect(failures.allSatisfy { !$0.contains("guest:guest") })
            try await checkQueue(broker, queue, source, window: 16, reconnects: counters.snapshot().reconnects)
        }
    }

    /// The broker dies with confirms pending: frozen first (SIGSTOP) so the window fills, then
    /// SIGKILLed, then started again. Every message ends confirmed and in the queue: the ones that
    /// were in flight were handed back by their generation and republished by the next.
    ///
    /// A node recovering from SIGKILL can come back with a durable queue whose route is missing
    /// until the queue is bound again, or with a queue that crashes while it recovers; the broker
    /// then returns or nacks what is sent to it. So the test does what a consumer and a careful
    /// producer do after a broker restart: the queue is bound again, and a refused message is sent
    /// again. A message the publisher lost is never settled, so it is never sent again and fails
    /// the count.
    @Test(.timeLimit(.minutes(5)))
    func sigkillWithConfirmsPendingLosesNothing() async throws {
        try await ScratchNode.with("publisher") { broker in
            let window = 16
            let (config, queue) = try await prepare(broker, window: window, heartbeat: .seconds(2), name: uniqueName("evt-kill"))
            let counters = PublisherCounters()
            let source = MessageSource(routingKey: "k", size: 1024, retriesRefused: true)
            let loop = GenerationLoop(configuration: config, counters: counters, source: source)
            let done = Flag()
            async let left = loop.run(stop: { done.isSet })
            try await eventually(within: .seconds(30), "200 messages confirmed") { counters.snapshot().confirmed >= 200 }
            try broker.signal(SIGSTOP)
            // Confirms stop; publishing goes on until the window is full.
            try await eventually(within: .seconds(30), "a full window (\(window)) in flight") { counters.snapshot().inFlight >= window }
            let atKill = counters.snapshot()
            try broker.signal(SIGKILL)
            try await eventually(within: .seconds(30), "the generation seeing its broker die") { loop.failureCount >= 1 }
            try await broker.startAgain()
            try await withBroker(port: broker.port) { b in try b.bind(queue, exchange: "evtest.x", key: "k") }
            do {
                try await eventually(within: .seconds(60), "a reconnect and 200 more confirms after the restart (\(counters.snapshot()))") {
                    let now = counters.snapshot()
                    return now.reconnects >= 1 && now.confirmed >= atKill.confirmed + 200
                }
            } catch let timeout as EventuallyTimeout {
                print(await broker.diagnostics())
                throw timeout
            }
            done.set()
            #expect(await left.isEmpty)
            let final = counters.snapshot()
            #expect(final.inFlight == 0 && final.republished >= atKill.inFlight - window, "\(atKill) → \(final)")
            print("SIGKILL with \(atKill.inFlight) in flight: \(atKill) → \(final), \(source.refusedAndRetried) refused and sent again")
            // Every produced message is confirmed, and every confirmed one is in the queue.
            try await checkQueue(broker, queue, source, window: window, reconnects: final.reconnects)
        }
    }

    @Test(.timeLimit(.minutes(4)))
    func memoryAlarmPausesPublishingAndNothingHangs() async throws {
        try await ScratchNode.with("publisher") { broker in
            let (config, queue) = try await prepare(broker, window: 8, heartbeat: .seconds(1), name: uniqueName("evt-mem"))
            let source = MessageSource(routingKey: "k", size: 512)
            var unsettled: [OutgoingMessage] = []
            let connection = try await PublisherConnection.withGeneration(configuration: config, carrying: &unsettled) {
                connection in
                let stop = Flag()
                let publisher = Task { try await publishAll(source, on: connection, stop: { stop.isSet }) }
                try await eventually(within: .seconds(30), "50 messages confirmed") { connection.counters.snapshot().confirmed >= 50 }

                try await Rabbitmqctl.ctl(node: broker.node, "set_vm_memory_high_watermark", "0.0000001")
                try await eventually(within: .seconds(30), "the connection blocked by the memory alarm") { connection.isBlocked }
                let publishedWhenBlocked = connection.counters.snapshot().published
                // Paused, alive: for three heartbeat timeouts nothing is sent and the watchdog stays quiet.
                await #expect(
                    throws: EventuallyTimeout.self, "publishing went on or the connection failed: \(String(describing: connection.failure))"
                ) {
                    try await eventually(within: .seconds(6), "publishing or a failure while blocked") {
                        !connection.isBlocked || connection.failure != nil
                            || connection.counters.snapshot().published != publishedWhenBlocked
                    }
                }
                // A publisher waiting on the blocked connection can be cancelled.
                let extra = Task { try await connection.publish(source.message(1_000_000)) }
                extra.cancel()
                await #expect(throws: CancellationError.self) { try await extra.value }

                try await Rabbitmqctl.ctl(node: broker.node, "set_vm_memory_high_watermark", "0.4")
                try await eventually(within: .seconds(30), "the connection unblocked and 50 more published") {
                    !connection.isBlocked && connection.counters.snapshot().published > publishedWhenBlocked + 50
                }
                stop.set()
                try await publisher.value
                #expect(await connection.waitUntilSettled(timeout: .seconds(30)))
                return connection
            }
            #expect(unsettled.isEmpty)
            #expect(connection.failure?.code == .closed)
            #expect(connection.counters.snapshot().reconnects == 0)
            try await checkQueue(broker, queue, source, window: 8, reconnects: 0)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func watchdogCutsAPublishStuckOnAStalledBroker() async throws {
        try await ScratchNode.with("publisher") { broker in
            let (config, _) = try await prepare(broker, window: 4, heartbeat: .seconds(1), name: uniqueName("evt-dog"))
            let counters = PublisherCounters()
            var unsettled: [OutgoingMessage] = []
            defer { try? broker.signal(SIGCONT) }
            let clock = ContinuousClock()
            var stalledAt = clock.now
            do {
                try await PublisherConnection.withGeneration(configuration: config, counters: counters, carrying: &unsettled) {
                    connection in
                    // The broker stops reading (as under an alarm, rabbitmq-c #519): 4 × 8 MiB fill the
                    // socket buffers and the send blocks inside amqp_basic_publish.
                    try broker.signal(SIGSTOP)
                    stalledAt = clock.now
                    try await publishAll(MessageSource(routingKey: "k", size: 8 << 20, limit: 4), on: connection)
                    try await connection.waitUntilEnded()
                }
                Issue.record("the generation ended normally")
            } catch let error as AMQPPublisherError {
                #expect(error.code == .watchdogTimeout, "\(error)")
            }
            #expect(stalledAt.duration(to: clock.now) < .seconds(10), "cut within about two heartbeats")
            #expect(unsettled.map(\.messageID) == ["m-1", "m-2", "m-3", "m-4"])
            #expect(counters.snapshot().inFlight == 0)
            // The batch writer was cut inside the batch: only the messages written in full count
            // as published, and all four came back.
            let published = counters.snapshot().published
            #expect(published < 4 && published == counters.batchWritten.load(ordering: .relaxed), "\(published)")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func confirmTimeoutTearsDownAConnectionThatStopsConfirming() async throws {
        try await ScratchNode.with("publisher") { broker in
            var (config, _) = try await prepare(broker, window: 4, heartbeat: .seconds(1), name: uniqueName("evt-ct"))
            config.heartbeat = .zero                   // so only the confirm timeout can notice
            config.confirmTimeout = .seconds(2)
            var unsettled: [OutgoingMessage] = []
            defer { try? broker.signal(SIGCONT) }
            do {
                try await PublisherConnection.withGeneration(configuration: config, carrying: &unsettled) { connection in
                    try broker.signal(SIGSTOP)
                    try await publishAll(MessageSource(routingKey: "k", size: 100, limit: 3), on: connection)
                    try await connection.waitUntilEnded()
                }
                Issue.record("the generation ended normally")
            } catch let error as AMQPPublisherError {
                #expect(error.code == .confirmTimeout, "\(error)")
            }
            #expect(unsettled.map(\.messageID) == ["m-1", "m-2", "m-3"])
        }
    }
}
