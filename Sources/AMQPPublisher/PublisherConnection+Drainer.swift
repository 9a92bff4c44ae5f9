extension PublisherConnection {
    /// The confirm drainer: delivers settlements to the messages' callbacks and watches for stuck
    /// socket calls, until the connection ends.
    ///
    /// Run it as a sibling of the publisher, under the same supervisor, so it cannot outlive the
    /// connection. The watchdog in it shuts the socket down when one rabbitmq-c call (a publish on a
    /// full socket, rabbitmq-c issues #519 and #780) has run longer than twice the heartbeat.
    /// - Throws: the error that ended the connection; `CancellationError` when cancelled. Returns
    ///   normally only after ``close(gracePeriod:)``.
    public func runConfirmDrainer() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.runWatchdog() }
            defer { group.cancelAll() }
            while true {
                await waitFor(.settledOrEnded)
                let (settled, ended) = state.withLock { state in
                    defer { state.settled = [] }
                    return (state.settled, state.phase == .ended ? state.endError : nil)
                }
                deliver(settled)
                if let ended {
                    if ended.code == .closed { return }
                    throw ended
                }
                try Task.checkCancellation()
            }
        }
    }

    /// Shuts the socket down when a socket call has been stuck for longer than the watchdog limit.
    private func runWatchdog() async {
        let limit = configuration.watchdogLimit
        let tick = max(limit / 8, .milliseconds(20))
        while !Task.isCancelled {
            try? await Task.sleep(for: tick)
            let since = busySince.load(ordering: .relaxed)
            guard since != 0, monotonicNanos() - since > limit.nanoseconds else { continue }
            logger.error("AMQP socket call stuck; shutting the socket down", metadata: ["limit": "\(limit)"])
            state.withLock { $0.cut(AMQPPublisherError(.watchdogTimeout, "a socket call was stuck for more than \(limit)")) }
        }
    }
}
