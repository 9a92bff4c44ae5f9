import Glibc

/// Everything one connection generation shares between its thread and its async callers; kept in a
/// `Locked` by ``PublisherConnection``. Methods return the continuations to resume after unlocking.
struct GenerationState {
    enum Phase { case created, connecting, open, ended }

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
        case settledOrEnded, idleOrEnded, threadExited
    }

    var phase = Phase.created
    var endError: AMQPPublisherError?
    var stopRequested = false
    var window: ConfirmWindow
    var blocked = false
    var ioSleeping = false
    var socket: Int32 = -1
    var cutReason: AMQPPublisherError?
    var thread: pthread_t?
    var threadExited = false
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
        case .settledOrEnded: !settled.isEmpty || phase == .ended
        case .idleOrEnded: window.count == 0 || phase == .ended
        case .threadExited: threadExited || thread == nil
        }
    }

    /// Shuts the socket down (never closes it: the connection thread owns the descriptor).
    mutating func cut(_ reason: AMQPPublisherError) {
        if cutReason == nil { cutReason = reason }
        if socket >= 0 { _ = Glibc.shutdown(socket, Int32(SHUT_RDWR)) }
    }

    /// Admits waiting publishers in order while there is room; returns the continuations to resume.
    mutating func admitWaiters(counters: PublisherCounters) -> [CheckedContinuation<Void, any Error>] {
        var admitted: [CheckedContinuation<Void, any Error>] = []
        while !blocked, phase != .ended, let first = publishWaiters.first, window.hasRoom(for: first.message.body.count) {
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
    var admitted: [CheckedContinuation<Void, any Error>] = []
    var failed: [(CheckedContinuation<Void, any Error>, any Error)] = []
    var conditions: [CheckedContinuation<Void, Never>] = []

    func resume() {
        for continuation in admitted { continuation.resume() }
        for (continuation, error) in failed { continuation.resume(throwing: error) }
        for continuation in conditions { continuation.resume() }
    }
}
