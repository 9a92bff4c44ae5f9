import Durations

extension PublisherConnection {
    /// The connection thread: connect to the first URL that answers, run the loop, tear down, give
    /// the freed pages back if the generation was connected (``HeapTrim``), report.
    ///
    /// Failed connects (every attempt of a broker outage) free next to nothing, and skip the trim:
    /// it walks every malloc arena, and a camera retries every few hundred milliseconds.
    func threadMain(_ endpoints: [AMQPEndpoint]) {
        let (error, connected) = serve(endpoints)
        if connected { releaseFreePages() }
        finish(error)
    }

    /// Connects and runs the loop; the connection (and its socket) is destroyed when this returns.
    /// - Returns: `nil` when the loop stopped because it was asked to, else why the connection
    ///   ended; and whether a connection was opened at all.
    private func serve(_ endpoints: [AMQPEndpoint]) -> (AMQPPublisherError?, connected: Bool) {
        var connection: RabbitConnection?
        var failures: [AMQPPublisherError] = []
        for endpoint in endpoints where !state.withLock({ $0.lifecycle.isStopping }) {
            do {
                connection = try RabbitConnection(endpoint: endpoint, configuration: configuration) { socket in
                    apply(socket.map { .socketOpened(socket: $0) } ?? .socketReleased)
                }
                break
            } catch let error as AMQPPublisherError {
                logger.warning("AMQP connect failed", metadata: ["error": "\(error)"])
                failures.append(error)
            } catch {
                failures.append(AMQPPublisherError(.connectFailed, "\(endpoint): \(error)"))
            }
        }
        guard let connection else {
            if failures.count == 1 { return (failures[0], false) }
            let error = AMQPPublisherError(
                failures.last?.code ?? .closed,
                failures.isEmpty ? "connect cancelled" : "no broker reachable: " + failures.map(\.message).joined(separator: "; "),
                brokerClose: failures.last?.brokerClose)
            return (error, false)
        }
        let wakeups = state.withLock { state in
            state.endpoint = connection.endpoint.description
            return state.apply(.connected(socket: connection.socketDescriptor))
        }
        counters.connections.add(1)
        logger.info("AMQP connected", metadata: ["url": "\(connection.endpoint)"])
        wakeups.resume()

        let error = runLoop(connection)
        if error == nil {
            busySince.store(monotonicNanos(), ordering: .relaxed)
            connection.close()
            busySince.store(0, ordering: .relaxed)
        }
        // The descriptor is closed when `connection` goes: nobody may shut it down after this.
        apply(.socketReleased)
        return (error, true)
    }

    /// Marks the generation ended and wakes everyone waiting on it.
    private func finish(_ error: AMQPPublisherError?) {
        var ended: AMQPPublisherError?
        let (wakeups, connecting) = state.withLock { state in
            let connecting = !state.connectWaiter.isEmpty
            let wakeups = state.apply(.threadReturned(error))
            ended = state.lifecycle.endError
            return (wakeups, connecting)
        }
        if let ended, ended.code != .closed, !connecting {
            logger.warning("AMQP connection ended", metadata: ["error": "\(ended)"])
        }
        wakeups.resume()
    }
}
