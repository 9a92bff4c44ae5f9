import Locking

/// The supervisor's mailbox: child exits, timers and commands, consumed by the `run()` task only.
///
/// Thread-safety: `post` from anywhere; `next` only from the one consuming task.
final class Inbox: Sendable {
    /// A reply to a command, resumed exactly once.
    typealias Reply = CheckedContinuation<Void, any Error>

    enum Event: Sendable {
        case exited(serial: Int, reason: ExitReason)
        case timer(token: Int)
        case startChild(ChildSpec, Reply)
        case terminateChild(String, Reply)
        /// Stop the run with this epoch, or whichever run is current (`nil`).
        case stop(epoch: Int?)
        case cancelled
    }

    private struct State {
        var queue: [Event] = []
        var head = 0
        var waiter: UnsafeContinuation<Event, Never>?
        var cancelNoted = false

        mutating func pop() -> Event? {
            guard head < queue.count else { return nil }
            let event = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            return event
        }
    }

    private let state = Locked(State())

    func post(_ event: Event) {
        let waiter = state.withLock { state -> UnsafeContinuation<Event, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.queue.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// The next event; a cancelled consumer gets one `.cancelled` per ``resetCancellation()``.
    func next() async -> Event {
        if let event = state.withLock({ $0.pop() }) { return event }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let event = state.withLock { state -> Event? in
                    if let event = state.pop() { return event }
                    state.waiter = continuation
                    return nil
                }
                if let event { continuation.resume(returning: event) }
            }
        } onCancel: {
            let first = state.withLock { state in
                defer { state.cancelNoted = true }
                return !state.cancelNoted
            }
            if first { post(.cancelled) }
        }
    }

    /// Whether a stop request for `epoch` (or for any run) is waiting in the queue.
    func hasStop(epoch: Int) -> Bool {
        state.withLock { state in
            state.queue[state.head...].contains {
                if case .stop(let target) = $0 { target == nil || target == epoch } else { false }
            }
        }
    }

    /// Puts events back at the head of the queue, in order (a generation ended before it handled them).
    func requeue(_ events: [Event]) {
        guard !events.isEmpty else { return }
        state.withLock { state in
            precondition(state.waiter == nil, "requeue while the consumer waits")
            state.queue.insert(contentsOf: events, at: state.head)
        }
    }

    /// Starts a new run: cancellation may be noted again.
    func resetCancellation() {
        state.withLock { $0.cancelNoted = false }
    }

    /// Removes the events left at the end of a run, for their commands to be answered.
    func drain() -> [Event] {
        state.withLock { state in
            var events: [Event] = []
            while let event = state.pop() { events.append(event) }
            return events
        }
    }
}
