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
        /// The consuming task, while it waits for an event.
        var waiter = Waiters<Void, Event>()
        var cancelNoted = false
        /// The run ended: commands are refused until the next run opens the inbox.
        var closed = false

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

    /// Queues an event; returns `false` (and queues nothing) for a command while the inbox is closed.
    @discardableResult
    func post(_ event: Event) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, Waiters<Void, Event>.Waiter?) in
            if state.closed, case .startChild = event { return (false, nil) }
            if state.closed, case .terminateChild = event { return (false, nil) }
            if let waiter = state.waiter.removeFirst() { return (true, waiter) }
            state.queue.append(event)
            return (true, nil)
        }
        waiter?.resume(returning: event)
        return accepted
    }

    /// The next event; a cancelled consumer gets one `.cancelled` per ``open()``.
    func next() async -> Event {
        if let event = state.withLock({ $0.pop() }) { return event }
        return await state.waitIgnoringCancellation(in: \.waiter, as: (), unless: { $0.pop().map(Result<Event, Never>.success) }) {
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
            precondition(state.waiter.isEmpty, "requeue while the consumer waits")
            state.queue.insert(contentsOf: events, at: state.head)
        }
    }

    /// Starts a new run: commands are accepted and cancellation may be noted again.
    func open() {
        state.withLock {
            $0.cancelNoted = false
            $0.closed = false
        }
    }

    /// Ends a run: removes the events left, for their commands to be refused, and refuses later
    /// commands until ``open()``, as OTP refuses a call to a supervisor that has exited.
    func close() -> [Event] {
        state.withLock { state in
            state.closed = true
            var events: [Event] = []
            while let event = state.pop() { events.append(event) }
            return events
        }
    }
}
