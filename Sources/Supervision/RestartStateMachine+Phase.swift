extension RestartStateMachine {
    /// One incarnation of a child, from its start until its exit has been handled: what the phases
    /// with a running task carry, and only they.
    struct Incarnation: Sendable {
        /// The link to its slot; its serial names its exit.
        let handle: ChildHandle
        /// When it started: the child's uptime while it runs.
        let since: Duration
        /// Asked to stop and not returned within its shutdown timeout. Possible while still
        /// `.running` too: cancelling the task of `run()` cancels every slot at once
        /// (Sources/Supervision/Supervisor.swift), and the watchdog can report one before the
        /// runner's reverse-order stop reaches it (Sources/Supervision/Supervisor+Slot.swift,
        /// Sources/Supervision/GenerationRunner.swift).
        var overdue = false
    }

    /// Where a child is in its lifecycle, with exactly what that phase has: an incarnation only
    /// while a task of it runs, a timer only while it backs off. The status shows the
    /// ``SupervisorSnapshot/State`` derived from it (``state``), so a table row cannot hold a timer
    /// while running, a handle while stopped, or an overdue stop while backing off.
    enum Phase: Sendable {
        /// Never started: a new row, until its generation starts it.
        case starting
        /// Up.
        case running(Incarnation)
        /// Asked by the supervisor to stop for good (a stop, `terminateChild`, an escalation); its
        /// exit is awaited.
        case stopping(Incarnation)
        /// Asked by the supervisor to stop so that it starts again; its exit is awaited.
        case restarting(Incarnation)
        /// Waiting for the backoff timer with this token to start it. `nil` once a stop has
        /// cancelled the timer: the row still shows `backing_off` until it starts or is removed.
        case backingOff(timer: Int?)
        /// Returned normally, or stopped by the supervisor.
        case stopped
        /// Ended abnormally.
        case failed

        /// The state the status shows for this phase.
        var state: SupervisorSnapshot.State {
            switch self {
            case .starting: .starting
            case .running: .running
            case .stopping: .stopping
            case .restarting: .restarting
            case .backingOff: .backingOff
            case .stopped: .stopped
            case .failed: .failed
            }
        }

        /// The incarnation whose exit is still to come, in the phases that have one.
        var incarnation: Incarnation? {
            switch self {
            case .running(let run), .stopping(let run), .restarting(let run): run
            case .starting, .backingOff, .stopped, .failed: nil
            }
        }

        /// The token of the pending backoff timer, if one will start the child.
        var timer: Int? {
            guard case .backingOff(let timer) = self else { return nil }
            return timer
        }

        /// Marks the incarnation overdue on its shutdown timeout; a phase without one is left as is.
        mutating func markOverdue() {
            switch self {
            case .running(var run):
                run.overdue = true
                self = .running(run)
            case .stopping(var run):
                run.overdue = true
                self = .stopping(run)
            case .restarting(var run):
                run.overdue = true
                self = .restarting(run)
            case .starting, .backingOff, .stopped, .failed:
                break
            }
        }

        /// The phase a row keeps when a new run or generation rebuilds the table: neither an
        /// incarnation nor a timer survives it. Every generation ends only after stopping all its
        /// children, which also cancels their timers (Sources/Supervision/GenerationRunner.swift),
        /// so neither is left here in practice; an incarnation, were one left, is forgotten as
        /// stopped, and its exit then ignored as stale.
        var rebuilt: Phase {
            switch self {
            case .backingOff: .backingOff(timer: nil)
            case .running, .stopping, .restarting: .stopped
            case .starting, .stopped, .failed: self
            }
        }
    }
}
