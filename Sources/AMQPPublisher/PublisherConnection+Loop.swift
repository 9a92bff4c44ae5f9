import DedicatedThread
import Durations
import Glibc

extension PublisherConnection {
    /// The connection thread's loop: send what was accepted, read confirms, sleep in `poll` on the
    /// socket and the wake pipe. Returns `nil` when asked to stop, else why the connection ended.
    func runLoop(_ connection: RabbitConnection) -> AMQPPublisherError? {
        let idleWait = configuration.heartbeat > .zero ? min(configuration.heartbeat / 2, .seconds(1)) : .seconds(1)
        // Whether to ask rabbitmq-c for frames: only when `poll` saw the socket readable, or
        // timed out, or the loop did not sleep, or `idleWait` passed since it last asked (rabbitmq-c
        // sends and checks heartbeats in that call). A wakeup that only brings messages to send
        // then costs no `recv` + `poll` that would find nothing.
        var readFrames = true
        var lastRead = ContinuousClock.now
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
                if readFrames || connection.hasBufferedInput || lastRead.duration(to: .now) >= idleWait {
                    lastRead = .now
                    // One call reads what the socket holds; more only while frames are buffered.
                    if let incoming = try blocking({ try connection.nextFrame(timeout: .zero) }) {
                        handle(incoming)
                        while connection.hasBufferedInput, let next = try blocking({ try connection.nextFrame(timeout: .zero) }) {
                            handle(next)
                        }
                    }
                }
                connection.releaseBuffers()
                try checkConfirmTimeout()
                let sleep = state.withLock { state in
                    let mustRun = state.lifecycle.isStopping || (!state.blocked && state.window.canSend)
                    state.ioSleeping = !mustRun
                    return !mustRun
                }
                readFrames = true
                if sleep && !connection.hasBufferedInput {
                    readFrames = waitForInput(socket: connection.socketDescriptor, timeout: idleWait)
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

    /// Sleeps until the socket or the wake pipe is readable, or `timeout`. Returns whether frames
    /// should be read: the socket is readable (or failed), or the wait timed out or failed.
    private func waitForInput(socket: Int32, timeout: Duration) -> Bool {
        guard let wakePipe else { return true }
        var descriptors = (
            pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakePipe.readEnd, events: Int16(POLLIN), revents: 0)
        )
        let ready = withUnsafeMutableBytes(of: &descriptors) { bytes in
            poll(bytes.baseAddress!.assumingMemoryBound(to: pollfd.self), 2, Int32(max(1, timeout.milliseconds)))
        }
        if descriptors.1.revents != 0 { wakePipe.drain() }
        return ready <= 0 || descriptors.0.revents != 0
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
