import Glibc

extension PublisherConnection {
    /// The connection thread: connect to the first URL that answers, run the loop, tear down, report.
    func threadMain(_ endpoints: [AMQPEndpoint]) {
        finish(serve(endpoints))
    }

    /// Connects and runs the loop; the connection (and its socket) is destroyed when this returns.
    private func serve(_ endpoints: [AMQPEndpoint]) -> AMQPPublisherError {
        var connection: RabbitConnection?
        var failures: [AMQPPublisherError] = []
        for endpoint in endpoints where !state.withLock({ $0.stopRequested }) {
            do {
                connection = try RabbitConnection(endpoint: endpoint, configuration: configuration)
                break
            } catch let error as AMQPPublisherError {
                logger.warning("AMQP connect failed", metadata: ["error": "\(error)"])
                failures.append(error)
            } catch {
                failures.append(AMQPPublisherError(.connectFailed, "\(endpoint): \(error)"))
            }
        }
        guard let connection else {
            if failures.count == 1 { return failures[0] }
            return AMQPPublisherError(
                failures.last?.code ?? .closed,
                failures.isEmpty ? "connect cancelled" : "no broker reachable: " + failures.map(\.message).joined(separator: "; "))
        }
        let waiter = state.withLock { state in
            state.socket = connection.socketDescriptor
            state.endpoint = connection.endpoint.description
            state.phase = .open
            return state.connectWaiter.take()
        }
        counters.connections.add(1)
        logger.info("AMQP connected", metadata: ["url": "\(connection.endpoint)"])
        waiter?.resume()

        var error = runLoop(connection)
        if error == nil {
            busySince.store(monotonicNanos(), ordering: .relaxed)
            connection.close()
            busySince.store(0, ordering: .relaxed)
        }
        // The descriptor is closed when `connection` goes: nobody may shut it down after this.
        state.withLock { state in
            state.socket = -1
            if let cut = state.cutReason, error != nil { error = cut }
        }
        return error ?? AMQPPublisherError(.closed, "connection closed")
    }

    /// Marks the generation ended and wakes everyone waiting on it.
    private func finish(_ error: AMQPPublisherError) {
        var wakeups = Wakeups()
        let connectWaiter = state.withLock { state in
            state.phase = .ended
            if state.endError == nil { state.endError = error }
            wakeups.failed = state.publishWaiters.map { ($0.continuation, error) }
            state.publishWaiters = []
            state.threadExited = true
            wakeups.conditions = state.readyConditions()
            return state.connectWaiter.take()
        }
        if error.code != .closed { logger.warning("AMQP connection ended", metadata: ["error": "\(error)"]) }
        connectWaiter?.resume(throwing: error)
        wakeups.resume()
    }
}
