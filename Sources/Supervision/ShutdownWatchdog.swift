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

    /// The armed entries; the watchdog's sleep also ends when one earlier than its deadline comes.
    private let entries = Watched<[Entry]>([])

    /// Starts the shutdown timeout of one child incarnation.
    func arm(serial: Int, id: String, deadline: Duration, timeout: Duration) {
        entries.update { $0.append(Entry(serial: serial, id: id, deadline: deadline, timeout: timeout)) }
    }

    /// Ends the shutdown timeout of a child that has returned.
    func disarm(serial: Int) {
        entries.update { $0.removeAll { $0.serial == serial } }
    }

    /// Sleeps until the earliest deadline and reports the entries past it, until cancelled.
    func run(clock: ClockBox, report: @Sendable (Entry) -> Void) async {
        while !Task.isCancelled {
            let now = clock.now()
            let (due, next) = entries.update { entries -> ([Entry], Duration?) in
                var due: [Entry] = []
                for i in entries.indices where !entries[i].reported && entries[i].deadline <= now {
                    entries[i].reported = true
                    due.append(entries[i])
                }
                return (due, Self.earliestPending(entries))
            }
            for entry in due { report(entry) }
            await withTaskGroup(of: Void.self) { group in
                if let next {
                    group.addTask { try? await clock.sleepUntil(next) }
                }
                // An entry armed since with an earlier deadline (any, when idle) ends the sleep.
                group.addTask {
                    _ = try? await self.entries.wait { entries in
                        guard let earliest = Self.earliestPending(entries) else { return false }
                        return next.map { earliest < $0 } ?? true
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// The earliest deadline not reported yet.
    private static func earliestPending(_ entries: [Entry]) -> Duration? {
        entries.lazy.filter { !$0.reported }.map(\.deadline).min()
    }
}
