import AMQPPublisher
import Durations
import Logging
import SecretRedaction
import Supervision
import Locking
import Synchronization
import VideoPipeline

/// The publisher child: owns the camera's broker connections, one after the other, and turns
/// encoded frames into messages (the format of README.md's "What is published"),
/// pending messages of earlier connections first.
///
/// A broker outage is not a camera fault: when a connection is refused or lost, this child
/// reconnects by itself after a short jittered delay (``retryMaximum``), while capture and encoder
/// go on (the queues between them are bounded and drop their oldest frame, counted). Only a
/// configuration fault (credentials, TLS, URL) fails the child, so the subtree's growing backoff
/// applies to it as to a crash-looping camera.
struct FramePublisher: Sendable {
    let resources: CameraResources
    let configuration: AMQPConfiguration
    let persistent: Bool
    /// How long a stop waits for outstanding confirms (within the child's shutdown timeout).
    let settleGrace: Duration
    let logger: Logger
    /// Logs nacks without a line per frame, and notices a connection that only gets nacks.
    let refusals: NackLog
    /// Logs unroutable frames without a line per frame.
    let returns: ReturnLog
    /// Publish what is queued and spooled, then return (a removed camera, or one found in the
    /// spool at start that the configuration no longer has).
    let untilDrained: Bool

    init(
        resources: CameraResources, configuration: AMQPConfiguration, persistent: Bool,
        settleGrace: Duration, logger: Logger, untilDrained: Bool = false
    ) {
        self.resources = resources
        self.configuration = configuration
        self.persistent = persistent
        self.settleGrace = settleGrace
        self.logger = logger
        self.untilDrained = untilDrained
        refusals = NackLog(logger: logger)
        returns = ReturnLog(logger: logger, exchange: configuration.exchange, routingKey: resources.routingKey)
    }

    /// The longest wait between two connection attempts; each wait is drawn from
    /// `[retryMaximum / 2, retryMaximum]` (after the first few, shorter ones), so cameras spread
    /// their attempts over a restarted broker and reconnect within this long of it accepting.
    static let retryMaximum = Duration.milliseconds(1200)
    /// The first wait after a connection that worked is drawn from `[retryBase / 2, retryBase]`,
    /// the second from `[retryBase, 2 * retryBase]`, then from `[retryMaximum / 2, retryMaximum]`.
    static let retryBase = Duration.milliseconds(400)
    /// The reconnect waits: doubling from ``retryBase`` up to ``retryMaximum``, each spread down
    /// to half of its step.
    static let retryBackoff = Backoff(
        initial: retryBase, maximum: retryMaximum, multiplier: 2, jitter: 0.5, spread: .below)

    /// How one connection ended.
    private enum End {
        /// The child was asked to stop.
        case stopped
        /// Everything was published and settled (``untilDrained``).
        case drained
        /// The broker side failed; `connected` if the connection had opened.
        case brokerFault(AMQPPublisherError, connected: Bool)
    }

    /// Publishes until cancelled, reconnecting after broker faults. When cancelled (the encoder has
    /// already stopped: children stop in reverse order), publishes what is still queued and waits
    /// up to ``settleGrace`` for the confirms before closing, so a graceful stop loses nothing;
    /// whatever is not settled stays queued for the next generation (and is counted as such).
    /// - Throws: `CancellationError` when stopped; ``AMQPPublisherError`` for a configuration fault.
    func run() async throws {
        var retry = BackoffSchedule(Self.retryBackoff)
        let suspects = Suspects()
        var outage: Outage?
        defer { resources.link.stopped() }
        while true {
            switch try await runConnection(suspects: suspects, outage: &outage) {
            case .stopped:
                throw CancellationError()
            case .drained:
                logger.info("camera drained: every queued and spooled frame is settled")
                return
            case .brokerFault(let error, let connected):
                if connected, let refusal = BrokerLinkState.Problem.refusal(in: error) {
                    // The broker refuses the link (a permission, a deleted exchange), not a frame:
                    // every frame is kept, and the waits grow. Logged once per refusal.
                    if resources.link.snapshot.problem != .refused(refusal) {
                        logger.warning("broker refused the camera's frames; keeping them and retrying (capture goes on)", metadata: [
                            "error": "\(error)",
                        ])
                    }
                } else if connected {
                    retry.reset()
                    outage = Outage(since: .now)
                    logger.warning("broker connection lost; reconnecting (capture goes on)", metadata: ["error": "\(error)"])
                } else if outage == nil {
                    outage = Outage(since: .now)
                    logger.warning("broker unreachable; retrying (capture goes on)", metadata: ["error": "\(error)"])
                }
                outage?.attempts += 1
                resources.link.disconnected(error)
            }
            do {
                try await Task.sleep(for: retry.nextDelay())
            } catch {
                throw CancellationError()
            }
        }
    }

    /// A broker outage in progress: since when, and how many attempts failed.
    private struct Outage {
        var since: ContinuousClock.Instant
        var attempts = 0
    }

    /// One connection generation (``PublisherConnection/withGeneration(configuration:counters:carrying:logger:gracePeriod:_:)``:
    /// connect, confirm drainer, close, join, hand back): the publishing loop runs beside a watch of
    /// the connection; what the connection did not settle goes back in front of the pending messages.
    private func runConnection(suspects: Suspects, outage: inout Outage?) async throws -> End {
        // Pending messages stay with the camera until the publishing loop hands them over, so a
        // failed connect holds none of them.
        var unsettled: [OutgoingMessage] = []
        var connected = false
        var drained = false
        var ended: (any Error)?
        do {
            try await PublisherConnection.withGeneration(
                configuration: configuration, counters: resources.publisher, carrying: &unsettled, logger: logger
            ) { connection in
                connected = true
                // Set before this body runs (Sources/AMQPPublisher/PublisherConnection+Thread.swift).
                resources.link.connected(to: connection.connectedURL ?? "unknown")
                if let back = outage.take() {
                    logger.info("broker connection back", metadata: [
                        "outage_s": "\(String(format: "%.2f", (ContinuousClock.now - back.since).seconds))", "attempts": "\(back.attempts)",
                    ])
                }
                drained = try await publishUntilEnded(on: connection, suspects: suspects)
            }
        } catch {
            ended = error
        }
        let stopping = Task.isCancelled
        if let error = ended as? AMQPPublisherError, Self.blamesAMessage(error) {
            if suspects.count > 0, unsettled.count == 1 {
                // Isolated: the broker closed the channel over this one message. Count it and go on.
                let message = unsettled.removeFirst()
                resources.ledger.rejected()
                resources.outbox.settled(message.messageID)
                suspects.settledOne()
                logger.error("broker refused a frame; counted as rejected", metadata: [
                    "message_id": "\(message.messageID)", "bytes": "\(message.body.count)", "error": "\(error)",
                ])
            } else if suspects.count == 0 {
                // Some message made the broker close the channel: send these one at a time to find it.
                suspects.set(unsettled.count)
            }
        }
        resources.ledger.handedBack(unsettled.count)
        resources.keepFirst(unsettled)
        if drained && unsettled.isEmpty { return .drained }
        if stopping || ended is CancellationError { return .stopped }
        guard connected else {
            return .brokerFault(try Self.brokerFault(ended ?? AMQPPublisherError(.connectFailed, "connect failed")), connected: false)
        }
        return .brokerFault(try Self.brokerFault(ended ?? AMQPPublisherError(.connectionLost, "connection ended")), connected: true)
    }

    /// The body of a generation: publishes until the connection ends or the child is stopped, or
    /// (``untilDrained``) until nothing is left and everything is settled: then returns `true`. A
    /// stop flushes what is queued, then waits up to ``settleGrace`` for the confirms.
    /// - Throws: the error that ended the connection; `CancellationError` when stopped.
    private func publishUntilEnded(on connection: PublisherConnection, suspects: Suspects) async throws -> Bool {
        let failure = await withTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                do { try await connection.waitUntilEnded() } catch { return error }
                return nil
            }
            group.addTask {
                do { return try await publish(on: connection, suspects: suspects) ? Drained() : nil } catch { return error }
            }
            var first: (any Error)?
            for await result in group {
                if first == nil, let result, !(result is CancellationError) { first = result }
                group.cancelAll()
            }
            return first
        }
        if Task.isCancelled {
            // Not in this cancelled task: a stop still waits for the confirms it can get.
            _ = await Task { await connection.waitUntilSettled(timeout: settleGrace) }.value
            throw CancellationError()
        }
        if failure is Drained { return true }
        throw failure ?? AMQPPublisherError(.connectionLost, "connection ended")
    }

    /// The publishing loop's way of saying it drained everything (``untilDrained``).
    private struct Drained: Error {}

    /// Publishes pending then queued frames until cancelled; when cancelled, flushes what is queued.
    /// With ``untilDrained``, returns `true` once nothing is left and everything published is
    /// settled; returns `false` when the connection ended while suspects were published.
    private func publish(on connection: PublisherConnection, suspects: Suspects) async throws -> Bool {
        do {
            // Suspects of a channel refusal go one at a time, each confirmed before the next.
            while suspects.count > 0, let message = resources.popPending() {
                try await publishOrKeep(message, on: connection)
                guard await connection.waitUntilSettled(timeout: configuration.confirmTimeout) else {
                    try Task.checkCancellation()
                    return false  // the connection ended: `runConnection` decides
                }
                suspects.settledOne()
            }
            // After a refusal, one kept frame probes the link: until it is confirmed, new frames
            // wait in the bounded queue instead of piling up as kept ones on every attempt.
            if case .refused = resources.link.snapshot.problem, let message = resources.popPending() {
                try await publishOrKeep(message, on: connection)
                guard await connection.waitUntilSettled(timeout: configuration.confirmTimeout) else {
                    try Task.checkCancellation()
                    return false  // the connection ended: `runConnection` decides
                }
            }
            while let message = resources.popPending() {
                try await publishOrKeep(message, on: connection)
            }
            if untilDrained {
                while let item = resources.outbox.nextNow() {
                    try await publishOrKeep(message(for: item), on: connection)
                }
                if await connection.waitUntilSettled(timeout: configuration.confirmTimeout), resources.pendingCount == 0,
                    resources.outbox.isEmpty
                {
                    return true
                }
                throw AMQPPublisherError(.confirmTimeout, "frames still unsettled after draining")
            }
            while true {
                let item = try await resources.outbox.next()
                try await publishOrKeep(message(for: item), on: connection)
                if refusals.shouldRefreshChannel() {
                    logger.warning("every recent frame was nacked; opening a new connection", metadata: [
                        "nacks_in_a_row": "\(NackLog.streakLimit)",
                    ])
                    throw AMQPPublisherError(.brokerRefused, "\(NackLog.streakLimit) nacks in a row")
                }
            }
        } catch is CancellationError {
            // `publish` refuses work in a cancelled task; flush from a task that is not cancelled.
            // It is awaited here, so it cannot outlive this child.
            try await Task { try await flush(on: connection) }.value
            throw CancellationError()
        }
    }

    /// Publishes everything pending and queued in memory now; frames on disk stay there.
    private func flush(on connection: PublisherConnection) async throws {
        while let message = resources.popPending() {
            try await publishOrKeep(message, on: connection)
        }
        // The encoder has returned: nothing is pushed meanwhile, so this ends with the queue.
        // A frame that is not accepted (connection gone) is kept as pending; the rest stay queued.
        while let frame = resources.encoded.tryNext() {
            try await publishOrKeep(message(for: resources.outbox.item(fromMemory: frame)), on: connection)
        }
    }

    /// Hands `message` to the connection, or keeps it first in line for the next one.
    private func publishOrKeep(_ message: OutgoingMessage, on connection: PublisherConnection) async throws {
        resources.ledger.handedOver()
        do {
            try await connection.publish(message)
        } catch {
            resources.ledger.handedBack(1)
            resources.keepFirst([message])
            throw error
        }
    }

    /// The message for one frame. Its `message_id` (`<camera>-<instance>-<seq>`, or the one it
    /// had when it was spooled by an earlier run) stays the same when a later connection
    /// republishes it; its settlement moves it in the ledger and releases its copy on disk.
    func message(for item: PublishQueue.Item) -> OutgoingMessage {
        let frame = item.frame.frame
        let ledger = resources.ledger
        let refusals = refusals
        return OutgoingMessage(
            body: frame.jpeg, routingKey: item.frame.routingKey, messageID: item.frame.messageID,
            contentType: "image/jpeg", deliveryMode: persistent ? 2 : 1,
            timestamp: frame.capturedAtMicros / 1_000_000,
            headers: [
                ("camera_id", .string(resources.camera.id)), ("seq", .int64(frame.seq)), ("width", .int32(Int32(frame.width))),
                ("height", .int32(Int32(frame.height))), ("captured_at_us", .int64(frame.capturedAtMicros)),
            ],
            onSettled: { [
                observations = resources.observations, outbox = resources.outbox, trace = resources.confirmedTrace,
                link = resources.link, returns, logger, exchange = configuration.exchange, routingKey = item.frame.routingKey,
                capturedAt = frame.capturedAtMicros
            ] settlement in
                ledger.settled(settlement.outcome)
                if settlement.outcome == .confirmed { trace?.confirmed(settlement.messageID) }
                outbox.settled(settlement.messageID)
                observations.settled(settlement, capturedAtMicros: capturedAt)
                switch settlement.outcome {
                case .confirmed:
                    refusals.settled()
                    if let over = link.confirmed() { logger.info("broker takes frames again", metadata: ["was": "\(over)"]) }
                case .returned:
                    refusals.settled()
                    returns.returned(settlement.messageID)
                    link.returned(exchange: exchange, routingKey: routingKey)
                case .nacked:
                    refusals.nacked(settlement.messageID)
                }
            })
    }

    /// `error` as a broker fault to ride out, or rethrown when it is a configuration fault.
    private static func brokerFault(_ error: any Error) throws -> AMQPPublisherError {
        guard let error = error as? AMQPPublisherError else {
            return AMQPPublisherError(.connectionLost, Redaction.redactingSecrets(in: "\(error)"))
        }
        switch error.code {
        case .authenticationFailed, .tlsFailed, .invalidURL, .invalidConfiguration, .invalidMessage, .misuse:
            throw error
        default:
            return error
        }
    }

    /// Whether the broker closed the channel over something one message can cause (on its reply
    /// code: ``BrokerClose/fault``), so the messages in flight are suspects to isolate. Any other
    /// close keeps every message for the next connection.
    static func blamesAMessage(_ error: AMQPPublisherError) -> Bool {
        error.brokerClose?.fault == .message
    }
}

/// How many messages at the front of the camera's pending list are suspected of making the broker
/// close the channel; they are published one at a time until each is confirmed or rejected.
///
/// Thread-safety: an atomic; shared by the publisher loop and its connection's end.
final class Suspects: Sendable {
    private let value = Atomic<Int>(0)

    init() {}

    var count: Int { value.load(ordering: .relaxed) }

    func set(_ count: Int) { value.store(count, ordering: .relaxed) }

    /// One suspect was confirmed or rejected (callers take turns: the loop, then the connection's end).
    func settledOne() {
        let current = value.load(ordering: .relaxed)
        if current > 0 { value.store(current - 1, ordering: .relaxed) }
    }
}

/// Logs the frames the broker nacks: the first one, then every 100th, with the running count
/// (the status counts every one in `nacked`). Also counts nacks in a row: a channel that gets
/// nothing but nacks is replaced, at most once per ``refreshInterval`` (RabbitMQ 3.10 can leave a
/// channel opened during a quorum queue's leader election nacking every publish; a full queue with
/// `x-overflow: reject-publish` costs one reconnect per interval).
///
/// Thread-safety: atomics and a small lock; called from the confirm drainer and the publisher.
final class NackLog: Sendable {
    /// Nacks in a row (no confirm between them) that make a channel suspect.
    static let streakLimit = 64
    /// The least time between two channel replacements.
    static let refreshInterval = Duration.seconds(30)

    private let count = Atomic<Int>(0)
    private let streak = Atomic<Int>(0)
    private let lastRefresh = Locked<ContinuousClock.Instant?>(nil)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// A frame was confirmed or returned: the channel works.
    func settled() {
        streak.store(0, ordering: .relaxed)
    }

    /// Whether the channel should be replaced now (then the streak starts again).
    func shouldRefreshChannel() -> Bool {
        guard streak.load(ordering: .relaxed) >= Self.streakLimit else { return false }
        return lastRefresh.withLock { last in
            let now = ContinuousClock.now
            if let last, now - last < Self.refreshInterval { return false }
            last = now
            streak.store(0, ordering: .relaxed)
            return true
        }
    }

    func nacked(_ messageID: String) {
        streak.add(1, ordering: .relaxed)
        let total = count.wrappingAdd(1, ordering: .relaxed).newValue
        if total == 1 || total % 100 == 0 {
            logger.warning("broker nacked a frame (a full queue with x-overflow reject-publish?); counted as nacked", metadata: [
                "message_id": "\(messageID)", "nacked_by_this_publisher": "\(total)",
            ])
        }
    }
}
