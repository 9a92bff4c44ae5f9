import Locking

/// Reports children that do not return within their shutdown timeout, with one long-lived task per
/// supervisor run instead of one timer per stop (stops are on the restart path, timers are not).
///
/// Thread-safety: `arm`/`disarm` from any task; `run` from the supervisor's `run()` only.
final class ShutdownWatchdog: Sendable {
    struct Entry: Sendable {
        var serial: Int
        var id: String
        var deadline: Duration
        var timeout: Duration
        var reported = false
    }

    private struct State {
        var entries: [Entry] = []
        /// The deadline the watchdog sleeps until, if it sleeps.
        var sleepingUntil: Duration?
        /// The watchdog's own task, while it waits for an earlier deadline.
        var waiter = Waiters<Void, Void>()
        /// An earlier deadline was armed while no waiter was registered.
        var rearm = false
    }

    private let state = Locked(State())

    /// Starts the shutdown timeout of one child incarnation.
    func arm(serial: Int, id: String, deadline: Duration, timeout: Duration) {
        let waiter = state.withLock { state -> Waiters<Void, Void>.Waiter? in
            state.entries.append(Entry(serial: serial, id: id, deadline: deadline, timeout: timeout))
            if let until = state.sleepingUntil, until <= deadline { return nil }
            guard let waiter = state.waiter.removeFirst() else {
                state.rearm = true
                return nil
            }
            return waiter
        }
        waiter?.resume()
    }

    /// Ends the shutdown timeout of a child that has returned.
    func disarm(serial: Int) {
        state.withLock { $0.entries.removeAll { $0.serial == serial } }
    }

    /// Sleeps until the earliest deadline and reports the entries past it, until cancelled.
    func run(clock: ClockBox, report: @Sendable (Entry) -> Void) async {
        while !Task.isCancelled {
            let now = clock.now()
            let (due, next) = state.withLock { state -> ([Entry], Duration?) in
                var due: [Entry] = []
                for i in state.entries.indices where !state.entries[i].reported && state.entries[i].deadline <= now {
                    state.entries[i].reported = true
                    due.append(state.entries[i])
                }
                let next = state.entries.filter { !$0.reported }.map(\.deadline).min()
                state.sleepingUntil = next
                state.rearm = false
                return (due, next)
            }
            for entry in due { report(entry) }
            await withTaskGroup(of: Void.self) { group in
                if let next {
                    group.addTask { try? await clock.sleepUntil(next) }
                }
                group.addTask { await self.waitForEarlierDeadline() }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Returns when a deadline earlier than the current sleep (or any, when idle) is armed, or on
    /// cancellation.
    private func waitForEarlierDeadline() async {
        // Cancellation ends the wait too: `try?` turns its error into the return.
        try? await state.wait(in: \.waiter, as: ()) { $0.rearm ? .success(()) : nil }
    }
}
