import Logging

extension PublisherConnection {
    /// Runs `body` with a connection generation of its own, and hands every message it did not
    /// settle back in `unsettled`, whatever happens.
    ///
    /// In order: connects (trying the URLs in turn) on the generation's own thread; starts the
    /// confirm drainer and its watchdog; runs `body`; waits up to `gracePeriod` for the outstanding
    /// confirms if `body` returned normally; closes the connection; joins its thread; and sets
    /// `unsettled` to every message not settled, in publish order. That holds when the connect fails,
    /// when `body` throws and when the task is cancelled: nothing is lost, and no thread of the
    /// generation is left when this returns.
    ///
    /// ```swift
    /// var carry: [OutgoingMessage] = []          // kept from one generation to the next
    /// try await PublisherConnection.withGeneration(configuration: config, carrying: &carry) { connection in
    ///     try await connection.publish(message)  // settled, or back in `carry`
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - configuration: URLs, exchange, timeouts, window.
    ///   - counters: counters to update; pass the same object to every generation of a camera.
    ///   - unsettled: on entry, messages handed back by the previous generation: they are sent first,
    ///     in order, with the same `message_id`. On return (or throw), every message not settled,
    ///     in order: those carried in and never sent included.
    ///   - logger: where connection events and returned messages are logged.
    ///   - gracePeriod: how long to wait for outstanding confirms after `body` returned normally.
    ///   - body: the generation's work; it gets the connection once it is open. A connection that
    ///     fails makes ``publish(_:)`` and ``waitUntilEnded()`` throw; it does not cancel `body`.
    /// - Returns: what `body` returned.
    /// - Throws: the connect error (``AMQPPublisherError``, redacted) when no URL answered; what
    ///   `body` threw, except that a `closed` error it got from the connection gives way to the
    ///   error that ended the connection (a publish made while the thread was leaving after a 403
    ///   reports the 403); else the error that ended the connection before it was closed, if any.
    @discardableResult
    public static func withGeneration<Value>(
        configuration: AMQPConfiguration, counters: PublisherCounters = PublisherCounters(),
        carrying unsettled: inout [OutgoingMessage], logger: Logger = Logger(label: "edge-video.amqp"),
        gracePeriod: Duration = .zero, _ body: (PublisherConnection) async throws -> Value
    ) async throws -> Value {
        let connection = PublisherConnection(
            configuration: configuration, counters: counters, republishing: unsettled, logger: logger)
        unsettled = []
        let outcome = await connection.run(gracePeriod: gracePeriod, body)
        unsettled = connection.takeUnconfirmed()
        if let failure = connection.failure, failure.code != .closed {
            switch outcome {
            case .success: throw failure
            case .failure(let error as AMQPPublisherError) where error.code == .closed: throw failure
            case .failure: break
            }
        }
        return try outcome.get()
    }

    /// Connects, runs the drainer beside `body`, closes. Never throws: the outcome holds the error.
    private func run<Value>(
        gracePeriod: Duration, _ body: (PublisherConnection) async throws -> Value
    ) async -> Result<Value, any Error> {
        do {
            try await connect()
        } catch {
            await close()
            return .failure(error)
        }
        var outcome: Result<Value, any Error> = .failure(CancellationError())
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runConfirmDrainer() }
            do {
                outcome = .success(try await body(self))
                await close(gracePeriod: Task.isCancelled ? .zero : gracePeriod)
            } catch {
                outcome = .failure(error)
                await close()
            }
            // The drainer returns once the connection has ended, which `close` guarantees.
            await group.waitForAll()
        }
        return outcome
    }
}
