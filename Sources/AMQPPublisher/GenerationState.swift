import DedicatedThread
import Glibc
import Locking

/// Everything one connection generation shares between its thread and its async callers; kept in a
/// `Locked` by ``PublisherConnection``. Methods return the continuations to resume after unlocking.
struct GenerationState {
    /// `connect()`'s caller, until the handshake succeeds or fails.
    typealias ConnectWaiter = Waiters<Void, Void>.Waiter
    /// A publisher waiting for room, with its message.
    typealias PublishWaiter = Waiters<OutgoingMessage, Void>.Waiter
    /// A task waiting for a condition.
    typealias ConditionWaiter = Waiters<Condition, Void>.Waiter

    /// What a task can wait for.
    enum Condition {
        case settledOrEnded, idleOrEnded, ended
    }

    /// created → connecting → open → closing → ended, and why it ended.
    var lifecycle = ConnectionLifecycle()
    var window: ConfirmWindow
    var blocked = false
    /// The connection thread sleeps (or is about to) in `poll` with nothing to send, and nobody
    /// has woken it since: the first publisher to give it work writes the wake pipe, no other.
    var ioSleeping = false
    /// The connection thread, from `connect()` until `close()` joins it.
    var thread: DedicatedThread?
    var connectWaiter = Waiters<Void, Void>()
    var publishWaiters = Waiters<OutgoingMessage, Void>()
    var conditionWaiters = Waiters<Condition, Void>()
    var settled: [ConfirmWindow.Settled] = []
    var unconfirmed: [OutgoingMessage] = []
    var endpoint: String?

    init(window: ConfirmWindow) {
        self.window = window
    }

    func holds(_ condition: Condition) -> Bool {
        Self.holds(condition, settled: !settled.isEmpty, idle: window.count == 0, ended: lifecycle.isEnded)
    }

    static func holds(_ condition: Condition, settled: Bool, idle: Bool, ended: Bool) -> Bool {
        switch condition {
        case .settledOrEnded: settled || ended
        case .idleOrEnded: idle || ended
        case .ended: ended
        }
    }

    /// Applies a lifecycle event and performs the part of its action that must happen under the
    /// lock; returns the continuations to resume once it is released.
    mutating func apply(_ event: ConnectionLifecycle.Event) -> Wakeups {
        var wakeups = Wakeups()
        switch lifecycle.handle(event) {
        case .none, .startThread, .refuse:
            break
        case .wakeThread:
            wakeups.wakeThread = true
        case .shutDown(let socket):
            // Never closes it: the connection thread owns the descriptor, and has not let go of it yet.
            _ = Glibc.shutdown(socket, Int32(SHUT_RDWR))
        case .connectSucceeded:
            wakeups.connected = connectWaiter.removeFirst()
        case .ended(let error):
            wakeups.fail(connectWaiter.removeFirst(), publishWaiters.removeAll(), with: error)
            wakeups.conditions = readyConditions()
        }
        return wakeups
    }

    /// Whether the caller must wake the connection thread: it sleeps and now has something to
    /// send. Answers `true` once per sleep, so a burst of publishes costs one `write`.
    mutating func takeWake() -> Bool {
        guard ioSleeping, window.canSend else { return false }
        ioSleeping = false
        return true
    }

    /// Admits waiting publishers in order while there is room, once the send queue is at low water
    /// (``ConfirmWindow/isAtLowWater``); returns the continuations to resume.
    mutating func admitWaiters(counters: PublisherCounters) -> [PublishWaiter] {
        guard !publishWaiters.isEmpty, window.isAtLowWater else { return [] }
        var admitted: [PublishWaiter] = []
        while !blocked, !lifecycle.isEnded, let first = publishWaiters.first, window.hasRoom(for: first.payload.body.count) {
            _ = publishWaiters.removeFirst()
            window.accept(first.payload)
            counters.inFlight.add(1)
            admitted.append(first)
        }
        return admitted
    }

    /// Removes the condition waiters whose condition holds, for the caller to resume.
    mutating func readyConditions() -> [ConditionWaiter] {
        guard !conditionWaiters.isEmpty else { return [] }
        let (settled, idle, ended) = (!settled.isEmpty, window.count == 0, lifecycle.isEnded)
        return conditionWaiters.removeAll { Self.holds($0, settled: settled, idle: idle, ended: ended) }
    }
}

/// Continuations to resume once the lock is released.
struct Wakeups {
    var connected: GenerationState.ConnectWaiter?
    var admitted: [GenerationState.PublishWaiter] = []
    /// Waiters to resume by throwing, each with its error.
    var failed: [(resume: (any Error) -> Void, error: any Error)] = []
    var conditions: [GenerationState.ConditionWaiter] = []
    /// The connection thread must be woken from `poll` (``PublisherConnection/wakeThread()``).
    var wakeThread = false

    /// Adds `connect()`'s caller, if it waits, and the publishers waiting for room, to be resumed
    /// by throwing `error`.
    mutating func fail(_ connecting: GenerationState.ConnectWaiter?, _ publishers: [GenerationState.PublishWaiter], with error: any Error) {
        if let connecting { failed.append((connecting.resume(throwing:), error)) }
        failed += publishers.map { ($0.resume(throwing:), error) }
    }

    func resume() {
        connected?.resume()
        for waiter in admitted { waiter.resume() }
        for (resume, error) in failed { resume(error) }
        for waiter in conditions { waiter.resume() }
    }
}
