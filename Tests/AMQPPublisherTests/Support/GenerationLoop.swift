import AMQPPublisher
import Synchronization

/// What the app's camera subtree does, without the Supervision module: one connection generation
/// after another, publisher and drainer as two children, close, hand the unconfirmed to the next.
struct GenerationLoop: Sendable {
    let configuration: AMQPConfiguration
    let counters: PublisherCounters
    let source: MessageSource

    /// Runs generations until `stop()` holds, then one last generation that sends what is left and
    /// waits for its confirms. Returns what stayed unconfirmed (empty on success) and the failures seen.
    func run(stop: @escaping @Sendable () -> Bool, settleTimeout: Duration = .seconds(60)) async -> (left: [OutgoingMessage], failures: [String]) {
        var carry: [OutgoingMessage] = []
        var failures: [String] = []
        var backoff = ReconnectBackoff(base: .milliseconds(20), maximum: .milliseconds(500))
        var finishing = false
        while true {
            if stop() { finishing = true }
            let connection = PublisherConnection(configuration: configuration, counters: counters, republishing: carry)
            var connected = false
            do {
                try await connection.connect()
                connected = true
                backoff.reset()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await connection.runConfirmDrainer() }
                    group.addTask { try await publishAll(source, on: connection, stop: stop) }
                    try await group.next()
                    if stop() {
                        finishing = true
                        _ = await connection.waitUntilSettled(timeout: settleTimeout)
                    }
                    group.cancelAll()
                }
            } catch {
                failures.append("\(error)")
            }
            await connection.close()
            carry = connection.takeUnconfirmed()
            if finishing && connected && connection.failure?.code == .closed && carry.isEmpty { return ([], failures) }
            if !connected { try? await Task.sleep(for: backoff.nextDelay()) }
            if failures.count > 5000 { return (carry, failures) }
        }
    }
}
