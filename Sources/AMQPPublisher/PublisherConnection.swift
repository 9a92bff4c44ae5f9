import DedicatedThread
import Glibc
import Locking
import Synchronization
import Logging
import Locking
import Synchronization

/// One AMQP connection generation: a connection with one confirm-mode channel, its dedicated
/// thread, its in-flight window and its confirm drainer.
///
/// Only ``withGeneration(configuration:counters:carrying:logger:gracePeriod:_:)`` makes one: it
/// connects, runs the drainer, hands the connection to its body, then always closes it, joins its
/// thread and hands every unsettled message back. Every rabbitmq-c call of the generation runs on
/// its own thread, never on Swift's cooperative pool. Nothing of one generation touches another.
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
    /// Wakes the connection thread from `poll`; `nil` when no pipe could be opened (`connect()` then fails).
    let wakePipe = try? WakePipe()
    /// Gives freed heap pages back as a connected generation's thread ends: ``HeapTrim``, or a
    /// test's probe.
    let releaseFreePages: @Sendable () -> Void

    /// Creates a generation; nothing connects before ``connect()``.
    /// - Parameters:
    ///   - configuration: URLs, exchange, timeouts, window.
    ///   - counters: counters to update; pass the same object to every generation of a camera.
    ///   - republishing: messages handed back by the previous generation; they are sent first, in
    ///     order, and count in the window.
    ///   - logger: where connection events and returned messages are logged.
    ///   - releaseFreePages: run on the connection thread as it ends, if it was connected.
    init(
        configuration: AMQPConfiguration, counters: PublisherCounters, republishing: [OutgoingMessage], logger: Logger,
        releaseFreePages: @escaping @Sendable () -> Void = HeapTrim.releaseFreePages
    ) {
        self.configuration = configuration
        self.releaseFreePages = releaseFreePages
        self.counters = counters
        self.logger = logger
        var window = ConfirmWindow(maxCount: max(1, configuration.windowCount), maxBytes: max(1, configuration.windowBytes))
        for message in republishing { window.accept(message, republish: true) }
        counters.inFlight.add(republishing.count)
        state = Locked(GenerationState(window: window))
    }

    /// Connects to the first URL that answers, on the generation's own thread.
    ///
    /// Whatever happens, ``close(gracePeriod:)`` must follow: it joins the thread and fills
    /// ``takeUnconfirmed()``.
    /// - Throws: ``AMQPPublisherError``: `invalidURL`/`invalidConfiguration` before any attempt, else
    ///   the failure of each URL tried (redacted), `authenticationFailed` when the credentials were
    ///   refused. When it throws, the thread has returned. Cancellation stops trying further URLs.
    func connect() async throws {
        let endpoints = try configuration.validate()
        guard wakePipe != nil else { throw AMQPPublisherError(.connectFailed, "cannot open the connection thread's wake pipe") }
        var wakeups = Wakeups()
        try await state.waitIgnoringCancellation(
            in: \.connectWaiter, as: (),
            unless: { state -> Result<Void, any Error>? in
                switch state.lifecycle.handle(.connect) {
                case .startThread: nil
                case .refuse(let error): .failure(error)
                default: .failure(AMQPPublisherError(.misuse, "connect() in an unexpected state"))
                }
            },
            registered: { state in
                do {
                    // Under the lock, so the thread is recorded before it can report anything.
                    state.thread = try DedicatedThread(name: threadName) { self.threadMain(endpoints) }
                } catch {
                    // Ends the lifecycle, and with it this wait.
                    wakeups = state.apply(.threadFailedToStart(AMQPPublisherError(.connectFailed, "\(error)")))
                }
            },
            then: { wakeups.resume() },
            onCancel: {
                // The cut first, so its reason is the one reported whenever the thread returns.
                apply(.cut(AMQPPublisherError(.closed, "connect cancelled")))
                apply(.close)
            }
        )
    }

    /// The connection thread's name: the configured one, else the connection name (15 bytes kept).
    var threadName: String { configuration.threadName ?? configuration.connectionName }

    /// The redacted URL of the broker this generation is connected to, once connected.
    public var connectedURL: String? { state.withLock { $0.endpoint } }

    /// Why the connection ended, once it has; `closed` when the scope closed a healthy connection.
    public var failure: AMQPPublisherError? { state.withLock { $0.lifecycle.endError } }

    /// Whether the broker has blocked the connection (`connection.blocked`, a resource alarm).
    public var isBlocked: Bool { state.withLock { $0.blocked } }

    /// Suspends until the connection ends, and throws why.
    ///
    /// Run it beside the work of a generation (for example as a child of the same supervisor) so
    /// that a lost connection ends the generation even when nothing is being published.
    /// - Throws: the error that ended the connection; `CancellationError` when cancelled first.
    public func waitUntilEnded() async throws {
        await waitFor(.ended)
        if let error = failure { throw error }
        throw CancellationError()
    }

    /// Every message that was not settled when the generation ended, in publish order; empties the list.
    ///
    /// Filled by ``close(gracePeriod:)``.
    func takeUnconfirmed() -> [OutgoingMessage] {
        state.withLock { state in
            defer { state.unconfirmed = [] }
            return state.unconfirmed
        }
    }

    /// Applies a lifecycle event and performs its action.
    func apply(_ event: ConnectionLifecycle.Event) {
        let wakeups = state.withLock { $0.apply(event) }
        if wakeups.wakeThread { wakeThread() }
        wakeups.resume()
    }

    /// Wakes the connection thread if it sleeps in `poll`.
    func wakeThread() {
        wakePipe?.wake()
    }

    /// Suspends until `condition` holds or the task is cancelled.
    func waitFor(_ condition: GenerationState.Condition) async {
        // Cancellation ends the wait too: `try?` turns its error into the return.
        try? await state.wait(in: \.conditionWaiters, as: condition) { $0.holds(condition) ? .success(()) : nil }
    }
}
