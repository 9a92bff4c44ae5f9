/// The restart decisions of one supervisor and the child table they are made on, as a pure value:
/// which children to stop and start, whether the intensity is exceeded, and how long to back off.
///
/// The table (``children``) is the supervisor's only list of its children: spec, restart type,
/// phase (with the running incarnation or the pending timer), restarts and last exit. The
/// runner executes the machine's actions and reports back; the status snapshot is read from the
/// same table. Time is passed in (`now`, a `Duration` since an origin of the caller's clock), so
/// the machine is tested without a clock, tasks or sleeps.
struct RestartStateMachine: Sendable {
    /// One row of the child table.
    struct Child: Sendable {
        var spec: ChildSpec
        /// Added by `startChild`: kept when a generation scope builds the other children anew.
        var dynamic: Bool
        /// Where it is in its lifecycle, with the incarnation or timer that phase has.
        var phase = Phase.starting
        var starts = 0
        var lastExit: String?
        /// Tasks of this child that have not returned (counted by its slot).
        let live = LiveTaskCounter()

        var id: String { spec.id }

        /// The state the status shows, derived from the phase.
        var state: SupervisorSnapshot.State { phase.state }

        /// The handle of the incarnation whose exit is still to come; its serial names that exit.
        var handle: ChildHandle? { phase.incarnation?.handle }

        /// When the running incarnation started; `nil` unless it is running.
        var since: Duration? {
            guard case .running(let run) = phase else { return nil }
            return run.since
        }

        /// Asked to stop and not returned within its shutdown timeout.
        var overdue: Bool { phase.incarnation?.overdue ?? false }
    }

    /// What to run for one started child.
    struct Launch: Sendable {
        let spec: ChildSpec
        let handle: ChildHandle
        let counter: LiveTaskCounter
    }

    /// What the supervisor must do after a child ended.
    enum ExitAction: Sendable, Hashable {
        /// Nothing restarts; the child stays in the table, stopped (transient after a normal exit).
        case keep
        /// Nothing restarts; the child was removed from the table (temporary).
        case remove
        /// Stop the running children in `stop` (already in reverse start order), remove the
        /// temporaries in `forget`, then after `delay` start `start` in order.
        case restart(stop: [String], forget: [String], start: [String], delay: Duration)
        /// Stop every running child in reverse order, remove `forget`, then after `delay` start a
        /// new generation.
        case restartGeneration(forget: [String], delay: Duration)
        /// Too many restarts: stop every child and fail.
        case escalate
    }

    let strategy: RestartStrategy
    let intensity: RestartIntensity
    let backoff: Backoff
    let seed: UInt64
    private(set) var children: [Child] = []
    private var restartTimes: [Duration] = []
    private var delays: BackoffSchedule
    private var quietSince: Duration?
    private var serial = 0
    private var token = 0

    init(strategy: RestartStrategy, intensity: RestartIntensity, backoff: Backoff, seed: UInt64) {
        self.strategy = strategy
        self.intensity = intensity
        self.backoff = backoff
        self.seed = seed
        self.delays = BackoffSchedule(backoff, seed: seed)
    }

    /// Decides what the exit of the incarnation `serial` means; `nil` for an exit already handled.
    mutating func exited(serial: Int, reason: ExitReason, now: Duration) -> (id: String, action: ExitAction)? {
        guard let i = children.firstIndex(where: { $0.handle?.serial == serial }) else { return nil }
        children[i].phase = reason.isNormal ? .stopped : .failed
        children[i].lastExit = reason.description
        let child = children[i]
        let needsRestart =
            switch child.spec.restart {
            case .permanent: true
            case .transient: !reason.isNormal
            case .temporary: false
            }
        guard needsRestart else {
            if child.spec.restart == .temporary {
                children.remove(at: i)
                return (child.id, .remove)
            }
            return (child.id, .keep)
        }
        guard let delay = recordRestart(now: now) else { return (child.id, .escalate) }
        let temporaries = { (rows: ArraySlice<Child>) in rows.filter { $0.spec.restart == .temporary }.map(\.id) }
        switch strategy {
        case .oneForOne:
            return (child.id, .restart(stop: [], forget: [], start: [child.id], delay: delay))
        case .oneForAll:
            return (child.id, .restartGeneration(forget: temporaries(children[...]), delay: delay))
        case .restForOne:
            let rest = children[(i + 1)...]
            let forget = temporaries(rest)
            let stop = rest.reversed().filter { $0.handle != nil }.map(\.id)
            let start = children[i...].map(\.id).filter { !forget.contains($0) }
            return (child.id, .restart(stop: stop, forget: forget, start: start, delay: delay))
        }
    }

    /// A generation failed as a whole (its scope threw): restart it or give up.
    mutating func generationFailed(now: Duration) -> ExitAction {
        guard let delay = recordRestart(now: now) else { return .escalate }
        return .restartGeneration(forget: [], delay: delay)
    }

    /// Counts a restart against the intensity; returns the backoff delay, or `nil` to escalate.
    private mutating func recordRestart(now: Duration) -> Duration? {
        if let max = intensity.maxRestarts {
            // A restart exactly one period ago is still in the window, as in OTP's supervisor
            // (held against it at the boundary by Tests/SupervisionTests/OTP/OTPDifferentialTests.swift).
            let threshold = now - intensity.period
            restartTimes.removeAll { $0 < threshold }
            restartTimes.append(now)
            if restartTimes.count > max { return nil }
        }
        if let quiet = quietSince, now - quiet >= backoff.resetAfter { delays.reset() }
        let delay = delays.nextDelay()
        quietSince = now + delay
        return delay
    }
}

/// The child table's bookkeeping: what the runner reports as it executes the machine's actions.
extension RestartStateMachine {
    /// Starts a run: a fresh restart history, and the table set to `initial` (rows of the same id
    /// keep their counters).
    mutating func beginRun(_ initial: [ChildSpec]) {
        restartTimes = []
        delays = BackoffSchedule(backoff, seed: seed)
        quietSince = nil
        children = reconciled(initial.map { ($0, false) })
    }

    /// Starts a generation: the children a scope built for it (`nil` without a scope) followed by
    /// the dynamic ones. Returns a duplicate id, if any (then nothing can start).
    mutating func beginGeneration(scoped: [ChildSpec]?) -> String? {
        if let scoped { children = reconciled(scoped.map { ($0, false) } + children.filter(\.dynamic).map { ($0.spec, true) }) }
        var seen = Set<String>()
        return children.first { !seen.insert($0.id).inserted }?.id
    }

    private func reconciled(_ specs: [(ChildSpec, Bool)]) -> [Child] {
        specs.map { spec, dynamic in
            guard var row = children.first(where: { $0.id == spec.id }) else { return Child(spec: spec, dynamic: dynamic) }
            row.spec = spec
            row.dynamic = dynamic
            row.phase = row.phase.rebuilt
            return row
        }
    }

    /// Whether a child with this id is in the table.
    func contains(_ id: String) -> Bool {
        children.contains { $0.id == id }
    }

    /// Appends a child (`startChild`); `false` if the id is taken.
    mutating func add(_ spec: ChildSpec) -> Bool {
        guard !contains(spec.id) else { return false }
        children.append(Child(spec: spec, dynamic: true))
        return true
    }

    /// Removes children (`terminateChild`, or temporaries stopped by a restart).
    mutating func remove(_ ids: [String]) {
        if !ids.isEmpty { children.removeAll { ids.contains($0.id) } }
    }

    /// Starts a new incarnation of a child in the table: what to run, or `nil` if it is gone.
    mutating func start(_ id: String, now: Duration) -> Launch? {
        guard let i = children.firstIndex(where: { $0.id == id }) else { return nil }
        serial += 1
        let handle = ChildHandle(serial: serial)
        children[i].phase = .running(Incarnation(handle: handle, since: now))
        children[i].starts += 1
        return Launch(spec: children[i].spec, handle: handle, counter: children[i].live)
    }

    /// Begins stopping a child: cancels its pending timer and returns its running incarnation.
    /// `state` is the runner's reason, `.restarting` or `.stopping` (any other counts as `.stopping`).
    mutating func beginStop(_ id: String, as state: SupervisorSnapshot.State) -> ChildHandle? {
        guard let i = children.firstIndex(where: { $0.id == id }) else { return nil }
        switch children[i].phase {
        case .running(let run), .stopping(let run), .restarting(let run):
            children[i].phase = state == .restarting ? .restarting(run) : .stopping(run)
            return run.handle
        case .backingOff:
            children[i].phase = .backingOff(timer: nil)
            return nil
        case .starting, .stopped, .failed:
            return nil
        }
    }

    /// A child stopped by the supervisor has returned.
    mutating func stopped(_ id: String) {
        guard let i = children.firstIndex(where: { $0.id == id }) else { return }
        children[i].phase = .stopped
    }

    /// A new timer token.
    mutating func nextToken() -> Int {
        token += 1
        return token
    }

    /// Makes `ids` wait for the timer `token` before they start. None of them has an incarnation
    /// left: the runner backs off only children whose exits it has handled or awaited
    /// (Sources/Supervision/GenerationRunner.swift).
    mutating func backOff(_ ids: [String], token: Int) {
        for i in children.indices where ids.contains(children[i].id) {
            children[i].phase = .backingOff(timer: token)
        }
    }

    /// The children waiting for the timer `token`, in start order.
    func due(token: Int) -> [String] {
        children.filter { $0.phase.timer == token }.map(\.id)
    }

    /// Marks the incarnation `serial` overdue on its shutdown timeout.
    mutating func overdue(serial: Int) {
        if let i = children.firstIndex(where: { $0.handle?.serial == serial }) { children[i].phase.markOverdue() }
    }
}
