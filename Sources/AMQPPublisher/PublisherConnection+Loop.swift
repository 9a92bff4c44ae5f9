import DedicatedThread
import Glibc

extension PublisherConnection {
    /// The connection thread's loop: send what was accepted, read confirms, sleep in `poll` on the
    /// socket and the wake pipe. Returns `nil` when asked to stop, else why the connection ended.
    func runLoop(_ connection: RabbitConnection) -> AMQPPublisherError? {
        let idleWait = configuration.heartbeat > .zero ? min(configuration.heartbeat / 2, .seconds(1)) : .seconds(1)
        do {
            while true {
                let batch: [(message: OutgoingMessage, republish: Bool)]? = state.withLock { state in
                    if state.lifecycle.isStopping { return nil }
                    return state.blocked ? [] : state.window.takeSendable(at: .now)
                }
                guard let batch else { return nil }
                for item in batch {
                    try blocking { try connection.publish(item.message, mandatory: configuration.mandatory, persistent: configuration.persistent) }
                    counters.published.add(1)
                    if item.republish { counters.republished.add(1) }
                }
                while let incoming = try blocking({ try connection.nextFrame(timeout: .zero) }) {
                    handle(incoming)
                }
                connection.releaseBuffers()
                try checkConfirmTimeout()
                let sleep = state.withLock { state in
                    let mustRun = state.lifecycle.isStopping || (!state.blocked && state.window.canSend)
                    state.ioSleeping = !mustRun
                    return !mustRun
                }
                if sleep && !connection.hasBufferedInput {
                    waitForInput(socket: connection.socketDescriptor, timeout: idleWait)
                }
                state.withLock { $0.ioSleeping = false }
            }
        } catch let error as AMQPPublisherError {
            return state.withLock { $0.lifecycle.cutReason } ?? error
        } catch {
            return AMQPPublisherError(.connectionLost, "\(error)")
        }
    }

    /// Runs one rabbitmq-c call under the watchdog's eye.
    private func blocking<T>(_ call: () throws -> T) throws -> T {
        busySince.store(monotonicNanos(), ordering: .relaxed)
        defer { busySince.store(0, ordering: .relaxed) }
        return try call()
    }

    private func waitForInput(socket: Int32, timeout: Duration) {
        guard let wakePipe else { return }
        var descriptors = [
            pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakePipe.readEnd, events: Int16(POLLIN), revents: 0),
        ]
        _ = poll(&descriptors, 2, Int32(max(1, timeout.milliseconds)))
        if descriptors[1].revents != 0 { wakePipe.drain() }
    }

    private func checkConfirmTimeout() throws {
        let oldest = state.withLock { $0.blocked ? nil : $0.window.oldestSentAt }
        if let oldest, oldest.duration(to: .now) > configuration.confirmTimeout {
            throw AMQPPublisherError(.confirmTimeout, "a message waited more than \(configuration.confirmTimeout) for its confirm")
        }
    }

    private func handle(_ incoming: RabbitConnection.Incoming) {
        var wakeups = Wakeups()
        switch incoming {
        case .ack(let tag, let multiple), .nack(let tag, let multiple):
            let ack = if case .ack = incoming { true } else { false }
            state.withLock { state in
                let settled = state.window.settle(tag: tag, multiple: multiple, ack: ack, at: .now)
                count(settled)
                state.settled += settled.filter { $0.message.onSettled != nil }
                wakeups.admitted = state.admitWaiters(counters: counters)
                wakeups.conditions = state.readyConditions()
            }
        case .returned(let messageID, let replyCode, let replyText, let routingKey):
            let found = state.withLock { $0.window.markReturned(messageID: messageID) != nil }
            logger.warning("AMQP message returned as unroutable", metadata: [
                "message_id": "\(messageID)", "routing_key": "\(routingKey)", "reply": "\(replyCode) \(replyText)",
                "known": "\(found)",
            ])
        case .blocked(let reason):
            state.withLock { $0.blocked = true }
            logger.warning("AMQP connection blocked by the broker; publishing paused", metadata: ["reason": "\(reason)"])
        case .unblocked:
            state.withLock { state in
                state.blocked = false
                state.window.restartConfirmClock(at: .now)
                wakeups.admitted = state.admitWaiters(counters: counters)
            }
            logger.info("AMQP connection unblocked; publishing resumed")
        case .other:
            break
        }
        wakeups.resume()
    }

    private func count(_ settled: [ConfirmWindow.Settled]) {
        var confirmed = 0, nacked = 0, returned = 0
        for item in settled {
            switch item.outcome {
            case .confirmed: confirmed += 1
            case .nacked: nacked += 1
            case .returned: returned += 1
            }
        }
        if confirmed > 0 { counters.confirmed.add(confirmed) }
        if nacked > 0 { counters.nacked.add(nacked) }
        if returned > 0 { counters.returned.add(returned) }
        counters.inFlight.add(-settled.count)
    }
}
