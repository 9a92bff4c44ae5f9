extension PublisherConnection {
    /// The confirm drainer: delivers settlements to the messages' callbacks and watches for stuck
    /// socket calls, until the connection ends or the task is cancelled.
    ///
    /// ``withGeneration(configuration:counters:carrying:logger:gracePeriod:_:)`` runs it beside its
    /// body. The watchdog in it shuts the socket down when one rabbitmq-c call (a publish on a full
    /// socket, rabbitmq-c issues #519 and #780) has run longer than twice the heartbeat.
    /// Settlements it has not delivered when it returns are delivered by ``close(gracePeriod:)``.
    func runConfirmDrainer() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runWatchdog() }
            defer { group.cancelAll() }
            while !Task.isCancelled {
                await waitFor(.settledOrEnded)
                let (settled, ended) = state.withLock { state in
                    defer { state.settled = [] }
                    return (state.settled, state.lifecycle.isEnded)
                }
                deliver(settled)
                if ended { return }
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
            apply(.cut(AMQPPublisherError(.watchdogTimeout, "a socket call was stuck for more than \(limit)")))
        }
    }
}
