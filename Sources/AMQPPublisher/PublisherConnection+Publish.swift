import Durations

extension PublisherConnection {
    /// Accepts a message into the in-flight window; the connection thread sends it.
    ///
    /// Waits while the window is full (by count or bytes) or the broker has blocked the connection.
    /// Returns once accepted: from then on the message is either settled (see
    /// ``OutgoingMessage/onSettled``) or handed back when the generation ends.
    /// - Throws: `CancellationError` if cancelled while waiting (the message was not accepted);
    ///   ``AMQPPublisherError`` if the message is invalid or the connection has ended.
    public func publish(_ message: OutgoingMessage) async throws {
        try message.validate()
        try Task.checkCancellation()
        enum Admission { case accepted(wake: Bool), wait, failed(AMQPPublisherError) }
        let admission: Admission = state.withLock { state in
            if let error = endedError(state) { return .failed(error) }
            guard !state.blocked, state.publishWaiters.isEmpty, state.window.hasRoom(for: message.body.count) else {
                return .wait
            }
            state.window.accept(message)
            counters.inFlight.add(1)
            return .accepted(wake: state.takeWake())
        }
        switch admission {
        case .failed(let error):
            throw error
        case .accepted(let wake):
            if wake { wakeThread() }
            return
        case .wait:
            break
        }
        try await waitForRoom(message)
    }

    private func waitForRoom(_ message: OutgoingMessage) async throws {
        var admitted: [GenerationState.PublishWaiter] = []
        var wake = false
        try await state.wait(
            in: \.publishWaiters, as: message,
            unless: { state in endedError(state).map { .failure($0) } },
            registered: { state in
                // Room may have come since `publish` looked: admit in order, this waiter included.
                admitted = state.admitWaiters(counters: counters)
                wake = !admitted.isEmpty && state.takeWake()
            },
            then: {
                if wake { wakeThread() }
                for waiter in admitted { waiter.resume() }
            }
        )
    }

    func endedError(_ state: borrowing GenerationState) -> AMQPPublisherError? {
        switch state.lifecycle.state {
        case .created, .connecting: AMQPPublisherError(.misuse, "publish before connect() succeeded")
        case .open: nil
        case .closing: AMQPPublisherError(.closed, "connection is closing")
        case .ended(let error): error
        }
    }

    /// Ends the generation and joins its thread; afterwards ``takeUnconfirmed()`` holds every unsettled
    /// message, in order (the carried-in ones that were never sent included).
    ///
    /// With a `gracePeriod`, first waits up to that long for every accepted message to be settled (a
    /// graceful stop). Then the channel and connection are closed politely; if the thread has not
    /// finished within `min(rpcTimeout, 2 s)` (a stuck socket call, or at once when the task is
    /// cancelled), the socket is shut down. Never hangs; always joins the thread.
    /// Settlement callbacks not yet delivered by the drainer are delivered here.
    func close(gracePeriod: Duration = .zero) async {
        if gracePeriod > .zero {
            _ = await withTimeout(gracePeriod) { await self.waitFor(.idleOrEnded) }
        }
        apply(.close)
        if let thread = state.withLock({ $0.thread }) {
            if await !thread.join(within: min(configuration.rpcTimeout, .seconds(2))) {
                apply(.cut(AMQPPublisherError(.closed, "closed while a socket call was stuck")))
                await thread.join()
            }
        }
        var wakeups = Wakeups()
        let settled = state.withLock { state in
            state.thread = nil
            let unsettled = state.window.takeUnsettled()
            counters.inFlight.add(-unsettled.count)
            state.unconfirmed += unsettled
            let error = state.lifecycle.endError ?? AMQPPublisherError(.closed, "connection closed")
            wakeups.fail(nil, state.publishWaiters.removeAll(), with: error)
            wakeups.conditions = state.readyConditions()
            defer { state.settled = [] }
            return state.settled
        }
        wakeups.resume()
        deliver(settled)
    }

    /// Calls the settlement callbacks.
    func deliver(_ settled: [ConfirmWindow.Settled]) {
        for item in settled {
            item.message.onSettled?(Settlement(messageID: item.message.messageID, outcome: item.outcome, latency: item.latency))
        }
    }
}

extension PublisherConnection {
    /// Waits until every accepted message is settled or the connection has ended, at most `timeout`.
    ///
    /// For a graceful stop: stop publishing, then call this before the generation's body returns.
    /// - Returns: `true` if nothing was left in flight.
    public func waitUntilSettled(timeout: Duration) async -> Bool {
        _ = await withTimeout(timeout) { await self.waitFor(.idleOrEnded) }
        return state.withLock { $0.window.count == 0 }
    }
}
