import DedicatedThread
import Durations
import Glibc

extension PublisherConnection {
    /// The connection thread's loop: read confirms, send what was accepted, sleep in `poll` on the
    /// socket and the wake pipe. Returns `nil` when asked to stop, else why the connection ended.
    ///
    /// A pass costs few syscalls: it reads only when `poll` said the socket is readable or
    /// rabbitmq-c holds buffered bytes (no `recv` that ends in `EAGAIN`); it writes a batch with one
    /// `sendmsg` on plain TCP (``send(_:on:)``); it sleeps in one `poll`. The continuations that
    /// reading and sending make ready are resumed after the batch went out, so resuming tasks never
    /// delays a send.
    func runLoop(_ connection: RabbitConnection) -> AMQPPublisherError? {
        let idleWait = configuration.heartbeat > .zero ? min(configuration.heartbeat / 2, .seconds(1)) : .seconds(1)
        // Whether the socket may hold input: true at first and after a `poll` that did not say
        // otherwise (a timed-out poll reads too, so rabbitmq-c sends and checks heartbeats).
        // A loop kept busy by wakeups that only bring messages to send still reads once per
        // `idleWait`, so heartbeats are checked however the wakeups fall.
        var mayRead = true
        var lastRead = ContinuousClock.now
        var wakeups = Wakeups()
        defer { wakeups.resume() }
        do {
            while true {
                if mayRead || connection.hasBufferedInput || lastRead.duration(to: .now) >= idleWait {
                    lastRead = .now
                    repeat {
                        guard let incoming = try blocking({ try connection.nextFrame(timeout: .zero) }) else { break }
                        handle(incoming, into: &wakeups)
                    } while connection.hasBufferedInput
                    connection.releaseBuffers()
                }
                let batch: [(message: OutgoingMessage, republish: Bool)]? = state.withLock { state in
                    state.ioSleeping = false
                    if state.lifecycle.isStopping { return nil }
                    if state.blocked { return [] }
                    let batch = state.window.takeSendable(at: .now)
                    // The queue shrank: waiting publishers may refill it.
                    if !batch.isEmpty { wakeups.admitted += state.admitWaiters(counters: counters) }
                    return batch
                }
                guard let batch else { return nil }
                try send(batch, on: connection)
                wakeups.resume()
                wakeups = Wakeups()
                let sleep = try state.withLock { state in
                    try checkConfirmTimeout(state)
                    let mustRun = state.lifecycle.isStopping || (!state.blocked && state.window.canSend)
                    state.ioSleeping = !mustRun
                    return !mustRun
                }
                // With more to send, send it first: the wire fills within a window, then `poll` waits.
                mayRead = sleep && (connection.hasBufferedInput || waitForInput(socket: connection.socketDescriptor, timeout: idleWait))
            }
        } catch let error as AMQPPublisherError {
            return state.withLock { $0.lifecycle.cutReason } ?? error
        } catch {
            return AMQPPublisherError(.connectionLost, "\(error)")
        }
    }

    /// Sends a batch the window has given delivery tags. A plain-TCP connection writes it whole,
    /// with as few `sendmsg` calls as the socket takes; a TLS one publishes each message through
    /// rabbitmq-c (three `send`s each) under `TCP_CORK`, so the batch leaves in full segments.
    ///
    /// A message counts as published once its last byte was written. When the connection fails
    /// half-way, the whole batch is already in the window as sent (``ConfirmWindow/takeSendable(at:)``),
    /// so every message of it is handed back with the rest of the unsettled ones.
    private func send(_ batch: [(message: OutgoingMessage, republish: Bool)], on connection: RabbitConnection) throws {
        guard !batch.isEmpty else { return }
        guard connection.writesBatches else {
            if batch.count > 1 { connection.cork(true) }
            for i in batch.indices {
                try blocking { try connection.publish(batch[i].message, mandatory: configuration.mandatory, persistent: configuration.persistent) }
                countSent(batch[i...i])
            }
            if batch.count > 1 { connection.cork(false) }
            return
        }
        var done = 0
        try blocking {
            try connection.publish(
                batch.lazy.map(\.message), mandatory: configuration.mandatory, persistent: configuration.persistent,
                stallLimit: configuration.watchdogLimit * 2
            ) { completed in
                // Bytes moved: a stuck write is measured from here, as a stuck call is.
                busySince.store(monotonicNanos(), ordering: .relaxed)
                guard completed > 0 else { return }
                countSent(batch[done..<(done + completed)])
                counters.batchWritten.add(completed)
                done += completed
            }
        }
    }

    private func countSent(_ items: ArraySlice<(message: OutgoingMessage, republish: Bool)>) {
        counters.published.add(items.count)
        let republished = items.count { $0.republish }
        if republished > 0 { counters.republished.add(republished) }
    }

    /// Runs one rabbitmq-c call under the watchdog's eye.
    private func blocking<T>(_ call: () throws -> T) throws -> T {
        busySince.store(monotonicNanos(), ordering: .relaxed)
        defer { busySince.store(0, ordering: .relaxed) }
        return try call()
    }

    /// Polls the socket and the wake pipe for up to `timeout`; returns `false` only when `poll`
    /// said the socket has nothing to read.
    private func waitForInput(socket: Int32, timeout: Duration) -> Bool {
        guard let wakePipe else { return true }
        var descriptors = (
            pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakePipe.readEnd, events: Int16(POLLIN), revents: 0)
        )
        let ready = withUnsafeMutableBytes(of: &descriptors) { raw in
            poll(raw.baseAddress!.assumingMemoryBound(to: pollfd.self), 2, Int32(max(1, timeout.milliseconds)))
        }
        if descriptors.1.revents != 0 { wakePipe.drain() }
        // A timed-out wait reads too, so rabbitmq-c sends its heartbeat and notices a silent broker.
        return ready <= 0 || descriptors.0.revents != 0
    }

    private func checkConfirmTimeout(_ state: borrowing GenerationState) throws {
        guard !state.blocked, let oldest = state.window.oldestSentAt else { return }
        if oldest.duration(to: .now) > configuration.confirmTimeout {
            throw AMQPPublisherError(.confirmTimeout, "a message waited more than \(configuration.confirmTimeout) for its confirm")
        }
    }

    /// Acts on one frame; the continuations to resume go into `wakeups`, resumed by the caller.
    private func handle(_ incoming: RabbitConnection.Incoming, into wakeups: inout Wakeups) {
        switch incoming {
        case .ack(let tag, let multiple), .nack(let tag, let multiple):
            let ack = if case .ack = incoming { true } else { false }
            state.withLock { state in
                let settled = state.window.settle(tag: tag, multiple: multiple, ack: ack, at: .now)
                count(settled)
                state.settled += settled.filter { $0.message.onSettled != nil }
                wakeups.admitted += state.admitWaiters(counters: counters)
                wakeups.conditions += state.readyConditions()
            }
        case .returned(let messageID, let replyCode, let replyText, let routingKey):
            let found = state.withLock { $0.window.markReturned(messageID: messageID) != nil }
            // A known message is settled as `returned` with its ack, and its owner logs it (at a
            // rate it chooses); one the window does not know is worth a line of its own.
            logger.log(level: found ? .debug : .warning, "AMQP message returned as unroutable", metadata: [
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
                wakeups.admitted += state.admitWaiters(counters: counters)
            }
            logger.info("AMQP connection unblocked; publishing resumed")
        case .other:
            break
        }
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
