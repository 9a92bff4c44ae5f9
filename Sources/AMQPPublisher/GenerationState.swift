import DedicatedThread
import Glibc

/// Everything one connection generation shares between its thread and its async callers; kept in a
/// `Locked` by ``PublisherConnection``. Methods return the continuations to resume after unlocking.
struct GenerationState {
    struct PublishWaiter {
        var id: UInt64
        var message: OutgoingMessage
        var continuation: CheckedContinuation<Void, any Error>
    }

    struct ConditionWaiter {
        var id: UInt64
        var condition: Condition
        var continuation: CheckedContinuation<Void, Never>
    }

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
    var connectWaiter: CheckedContinuation<Void, any Error>?
    var publishWaiters: [PublishWaiter] = []
    var conditionWaiters: [ConditionWaiter] = []
    var settled: [ConfirmWindow.Settled] = []
    var unconfirmed: [OutgoingMessage] = []
    var endpoint: String?
    var nextID: UInt64 = 0

    init(window: ConfirmWindow) {
        self.window = window
    }

    func holds(_ condition: Condition) -> Bool {
        switch condition {
        case .settledOrEnded: !settled.isEmpty || lifecycle.isEnded
        case .idleOrEnded: window.count == 0 || lifecycle.isEnded
        case .ended: lifecycle.isEnded
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
            if let waiter = connectWaiter.take() { wakeups.connected = waiter }
        case .ended(let error):
            if let waiter = connectWaiter.take() { wakeups.failed.append((waiter, error)) }
            wakeups.failed += publishWaiters.map { ($0.continuation, error) }
            publishWaiters = []
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
    mutating func admitWaiters(counters: PublisherCounters) -> [CheckedContinuation<Void, any Error>] {
        guard !publishWaiters.isEmpty, window.isAtLowWater else { return [] }
        var admitted: [CheckedContinuation<Void, any Error>] = []
        while !blocked, !lifecycle.isEnded, let first = publishWaiters.first, window.hasRoom(for: first.message.body.count) {
            publishWaiters.removeFirst()
            window.accept(first.message)
            counters.inFlight.add(1)
            admitted.append(first.continuation)
        }
        return admitted
    }

    /// Removes the condition waiters whose condition holds; returns their continuations.
    mutating func readyConditions() -> [CheckedContinuation<Void, Never>] {
        guard !conditionWaiters.isEmpty else { return [] }
        var ready: [CheckedContinuation<Void, Never>] = []
        var waiting: [ConditionWaiter] = []
        for waiter in conditionWaiters {
            if holds(waiter.condition) { ready.append(waiter.continuation) } else { waiting.append(waiter) }
        }
        conditionWaiters = waiting
        return ready
    }
}

/// Continuations to resume once the lock is released.
struct Wakeups {
    var connected: CheckedContinuation<Void, any Error>?
    var admitted: [CheckedContinuation<Void, any Error>] = []
    var failed: [(CheckedContinuation<Void, any Error>, any Error)] = []
    var conditions: [CheckedContinuation<Void, Never>] = []
    /// The connection thread must be woken from `poll` (``PublisherConnection/wakeThread()``).
    var wakeThread = false

    func resume() {
        connected?.resume()
        for continuation in admitted { continuation.resume() }
        for (continuation, error) in failed { continuation.resume(throwing: error) }
        for continuation in conditions { continuation.resume() }
    }
}
