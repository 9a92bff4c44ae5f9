import Glibc
import Locking
import Logging
import Synchronization

/// One AMQP connection generation: a connection with one confirm-mode channel, its dedicated
/// thread, its in-flight window and its confirm drainer.
///
/// Every rabbitmq-c call of the generation runs on its own thread, never on Swift's cooperative pool.
/// The app runs ``publish(_:)`` from a publisher child and ``runConfirmDrainer()`` as a sibling child
/// (which also runs the watchdog), then calls ``close(gracePeriod:)`` once both have returned, and
/// hands ``takeUnconfirmed()`` to the next generation. Nothing of one generation touches another.
///
/// Thread-safety: all methods may be called from any task.
public final class PublisherConnection: Sendable {
    /// The configuration this generation connects with.
    public let configuration: AMQPConfiguration
    /// The counters it updates (shared across generations if the caller passes the same object).
    public let counters: PublisherCounters
    let logger: Logger
    let state: Locked<GenerationState>
    /// Monotonic nanoseconds since the current blocking socket call began; 0 when none runs.
    let busySince = Atomic<Int64>(0)
    /// Wakes the connection thread from `poll`.
    let wakePipe = WakePipe()

    /// Creates a generation; nothing connects before ``connect()``.
    /// - Parameters:
    ///   - configuration: URLs, exchange, timeouts, window.
    ///   - counters: counters to update; pass the same object to every generation of a camera.
    ///   - republishing: messages handed back by the previous generation; they are sent first, in
    ///     order, and count in the window.
    ///   - logger: where connection events and returned messages are logged.
    public init(configuration: AMQPConfiguration, counters: PublisherCounters = PublisherCounters(),
                republishing: [OutgoingMessage] = [], logger: Logger = Logger(label: "edge-video.amqp")) {
        self.configuration = configuration
        self.counters = counters
        self.logger = logger
        var window = ConfirmWindow(maxCount: max(1, configuration.windowCount), maxBytes: max(1, configuration.windowBytes))
        for message in republishing { window.accept(message, republish: true) }
        counters.inFlight.add(republishing.count)
        state = Locked(GenerationState(window: window))
    }

    deinit {
        wakePipe.close()
    }

    /// Connects to the first URL that answers, on the generation's own thread.
    ///
    /// - Throws: ``AMQPPublisherError``: `invalidURL`/`invalidConfiguration` before any attempt, else
    ///   the failure of each URL tried (redacted), `authenticationFailed` when the credentials were
    ///   refused. On failure the thread has already been joined. Cancellation stops trying further URLs.
    public func connect() async throws {
        let endpoints = try configuration.validate()
        try state.withLock { state in
            guard state.phase == .created else { throw AMQPPublisherError(.misuse, "connect() called twice") }
            state.phase = .connecting
        }
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    do {
                        // Under the lock, so the thread is recorded before it can report anything.
                        try state.withLock { state in
                            state.connectWaiter = continuation
                            state.thread = try ConnectionThread.start(name: configuration.connectionName) { self.threadMain(endpoints) }
                        }
                    } catch {
                        let waiter = state.withLock { state in
                            state.phase = .ended
                            state.threadExited = true
                            return state.connectWaiter.take()
                        }
                        waiter?.resume(throwing: error)
                    }
                }
            } onCancel: {
                state.withLock { state in
                    state.stopRequested = true
                    state.cut(AMQPPublisherError(.closed, "connect cancelled"))
                }
            }
        } catch {
            await waitFor(.threadExited)
            joinThread()
            throw error
        }
    }

    /// The redacted URL of the broker this generation is connected to, once connected.
    public var connectedURL: String? { state.withLock { $0.endpoint } }

    /// Why the connection ended, once it has (`closed` after ``close(gracePeriod:)``).
    public var failure: AMQPPublisherError? { state.withLock { $0.phase == .ended ? $0.endError : nil } }

    /// Whether the broker has blocked the connection (`connection.blocked`, a resource alarm).
    public var isBlocked: Bool { state.withLock { $0.blocked } }

    /// Every message that was not settled when the generation ended, in publish order; empties the list.
    ///
    /// Call after ``close(gracePeriod:)``; republish them (same `messageID`) by passing them as
    /// `republishing` to the next generation.
    public func takeUnconfirmed() -> [OutgoingMessage] {
        state.withLock { state in
            defer { state.unconfirmed = [] }
            return state.unconfirmed
        }
    }

    /// Wakes the connection thread if it sleeps in `poll`.
    func wakeThread() {
        wakePipe.wake()
    }

    /// Suspends until `condition` holds or the task is cancelled.
    func waitFor(_ condition: GenerationState.Condition) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state in
                    if state.holds(condition) || Task.isCancelled { return true }
                    state.conditionWaiters.append(.init(id: id, condition: condition, continuation: continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.conditionWaiters.firstIndex { $0.id == id }.map { state.conditionWaiters.remove(at: $0) }
            }
            waiter?.continuation.resume()
        }
    }

    func joinThread() {
        let thread = state.withLock { state in state.thread.take() }
        if let thread { ConnectionThread.join(thread) }
    }
}
