/// The restart decisions of one supervisor, as a pure value: which children to stop and start,
/// whether the intensity is exceeded, and how long to back off.
///
/// Time is passed in (`now`, a `Duration` since an origin of the caller's clock), so the state
/// machine is tested without a clock, tasks or sleeps. The ``Supervisor`` drives it.
struct RestartStateMachine: Sendable {
    /// One child as the decisions see it.
    struct Child: Sendable, Hashable {
        var id: String
        var restart: ChildSpec.Restart
        var running: Bool
    }

    /// What the supervisor must do after a child ended.
    enum ExitAction: Sendable, Hashable {
        /// Nothing restarts; the child stays in the list, stopped (transient after a normal exit).
        case keep
        /// Nothing restarts; the child was removed from the list (temporary).
        case remove
        /// Stop the running children in `stop` (already in reverse start order), forget the
        /// temporaries among them, then after `delay` start `start` in order.
        case restart(stop: [String], start: [String], delay: Duration)
        /// Stop every running child in reverse order, then after `delay` start a new generation.
        case restartGeneration(delay: Duration)
        /// Too many restarts: stop every child and fail.
        case escalate
    }

    let strategy: RestartStrategy
    let intensity: RestartIntensity
    let backoff: Backoff
    private(set) var children: [Child] = []
    private(set) var restartTimes: [Duration] = []
    private(set) var consecutive = 0
    private var quietSince: Duration?
    private var rng: SplitMix64

    init(strategy: RestartStrategy, intensity: RestartIntensity, backoff: Backoff, seed: UInt64) {
        self.strategy = strategy
        self.intensity = intensity
        self.backoff = backoff
        self.rng = SplitMix64(seed: seed)
    }

    /// Replaces the child list (a new generation starts them all).
    mutating func setChildren(_ specs: [(id: String, restart: ChildSpec.Restart)]) {
        children = specs.map { Child(id: $0.id, restart: $0.restart, running: false) }
    }

    /// Appends a child (dynamic start).
    mutating func add(id: String, restart: ChildSpec.Restart) {
        children.append(Child(id: id, restart: restart, running: false))
    }

    /// Forgets a child (dynamic terminate).
    mutating func remove(id: String) {
        children.removeAll { $0.id == id }
    }

    /// Marks a child running.
    mutating func started(id: String) {
        if let i = index(of: id) { children[i].running = true }
    }

    /// Marks a child stopped by the supervisor (no decision needed).
    mutating func markStopped(id: String) {
        if let i = index(of: id) { children[i].running = false }
    }

    /// Decides what a child's exit means.
    mutating func exited(id: String, reason: ExitReason, now: Duration) -> ExitAction {
        guard let i = index(of: id) else { return .keep }
        children[i].running = false
        let child = children[i]
        let needsRestart =
            switch child.restart {
            case .permanent: true
            case .transient: !reason.isNormal
            case .temporary: false
            }
        guard needsRestart else {
            if child.restart == .temporary {
                children.remove(at: i)
                return .remove
            }
            return .keep
        }
        guard let delay = recordRestart(now: now) else { return .escalate }
        switch strategy {
        case .oneForOne:
            return .restart(stop: [], start: [child.id], delay: delay)
        case .oneForAll:
            children.removeAll { $0.restart == .temporary }
            return .restartGeneration(delay: delay)
        case .restForOne:
            let rest = children[(i + 1)...]
            let stop = rest.reversed().filter(\.running).map(\.id)
            children.removeAll { child in child.restart == .temporary && rest.contains { $0.id == child.id } }
            let start = children[i...].map(\.id)
            return .restart(stop: stop, start: start, delay: delay)
        }
    }

    /// A generation failed as a whole (its scope threw): restart it or give up.
    mutating func generationFailed(now: Duration) -> ExitAction {
        guard let delay = recordRestart(now: now) else { return .escalate }
        return .restartGeneration(delay: delay)
    }

    /// Counts a restart against the intensity; returns the backoff delay, or `nil` to escalate.
    private mutating func recordRestart(now: Duration) -> Duration? {
        if let max = intensity.maxRestarts {
            let threshold = now - intensity.period
            restartTimes.removeAll { $0 <= threshold }
            restartTimes.append(now)
            if restartTimes.count > max { return nil }
        }
        if let quiet = quietSince, now - quiet >= backoff.resetAfter { consecutive = 0 }
        let delay = backoff.delay(attempt: consecutive, unit: rng.nextUnit())
        consecutive += 1
        quietSince = now + delay
        return delay
    }

    private func index(of id: String) -> Int? {
        children.firstIndex { $0.id == id }
    }
}

/// A tiny seeded generator for jitter, so decisions replay exactly in tests.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform `Double` in `0..<1`.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}
