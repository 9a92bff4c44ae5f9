import AMQPPublisher
import Supervision
import Locking
import Synchronization

/// What the app's camera subtree does, without the Supervision module: one connection generation
/// after another (`withGeneration`), publisher and connection watch as two children, the unsettled
/// messages of one carried into the next.
final class GenerationLoop: Sendable {
    let configuration: AMQPConfiguration
    let counters: PublisherCounters
    let source: MessageSource
    /// Every error that ended a generation or a connect, in order.
    let failures = Locked<[String]>([])
    /// How many of those ended a connect before it completed.
    let connectFailures = Atomic<Int>(0)

    init(configuration: AMQPConfiguration, counters: PublisherCounters, source: MessageSource) {
        self.configuration = configuration
        self.counters = counters
        self.source = source
    }

    var failureCount: Int { failures.withLock { $0.count } }

    /// Runs generations until `stop()` holds, then one last generation that sends what is left and
    /// waits for its confirms. Returns what stayed unconfirmed (empty on success).
    func run(stop: @escaping @Sendable () -> Bool, settleTimeout: Duration = .seconds(60)) async -> [OutgoingMessage] {
        var carry: [OutgoingMessage] = []
        var backoff = BackoffSchedule(
            Backoff(initial: .milliseconds(20), maximum: .milliseconds(500), multiplier: 2, jitter: 0.5, spread: .below))
        var finishing = false
        while !Task.isCancelled {
            if stop() { finishing = true }
            var connected = false
            do {
                try await PublisherConnection.withGeneration(
                    configuration: configuration, counters: counters, carrying: &carry
                ) { connection in
                    connected = true
                    backoff.reset()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await connection.waitUntilEnded() }
                        group.addTask {
                            try await publishAll(self.source, on: connection, stop: { stop() && !self.source.hasPutBack })
                        }
                        try await group.next()
                        if stop() {
                            finishing = true
                            _ = await connection.waitUntilSettled(timeout: settleTimeout)
                        }
                        group.cancelAll()
                    }
                }
                if finishing && carry.isEmpty { return [] }
            } catch {
                failures.withLock { $0.append("\(error)") }
                if !connected { connectFailures.add(1, ordering: .relaxed) }
            }
            if !connected { try? await Task.sleep(for: backoff.nextDelay()) }
            if failureCount > 5000 { return carry }
        }
        return carry
    }
}

/// A flag one task sets and others read.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    init() {}
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
