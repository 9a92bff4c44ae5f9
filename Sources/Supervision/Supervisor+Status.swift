extension Supervisor {
    /// A copy of this supervisor's subtree, cheap enough to take at any time.
    ///
    /// Thread-safety: callable from any task or thread; takes one short lock per supervisor.
    public func snapshot() -> SupervisorSnapshot {
        let now = clock.now()
        let state = table.withLock { $0 }
        let ownState = lifecycle.value
        var liveTasks = self.liveTasks.value
        let children = state.machine.children.map { child -> SupervisorSnapshot in
            let nested = child.spec.nested
            if let nested {
                var node = nested.snapshot()
                liveTasks += node.liveTasks
                if child.state == .backingOff || child.state == .restarting { node.state = child.state }
                node.shutdownOverdue = child.overdue
                return node
            }
            return SupervisorSnapshot(
                id: child.id, kind: child.spec.kind, state: child.state, restarts: max(0, child.starts - 1),
                lastExit: child.lastExit, liveTasks: child.live.value,
                uptime: child.state == .running ? child.since.map { now - $0 } : nil,
                shutdownOverdue: child.overdue
            )
        }
        let up: Bool = ownState == .running || ownState == .restarting || ownState == .backingOff
        return SupervisorSnapshot(
            id: id, kind: .supervisor, strategy: strategy, state: ownState, restarts: state.restarts,
            lastExit: state.lastExit, liveTasks: liveTasks,
            uptime: up ? state.since.map { now - $0 } : nil, children: children
        )
    }

    /// The path of this supervisor in its tree, e.g. `root/camera:cam-1`.
    public var path: String {
        table.withLock { $0.path }
    }

    func setPath(_ path: String) {
        table.withLock { $0.path = path }
    }

    func setState(_ newState: SupervisorSnapshot.State) {
        lifecycle.update { $0 = newState }
    }

    /// Suspends until this supervisor's own state satisfies `predicate` (at once if it does now),
    /// and returns that state: a task that must know when a subtree runs, backs off or has failed
    /// waits on it instead of polling ``snapshot()``.
    ///
    /// Every change is checked while the caller waits, however short the state it makes lasts; a
    /// state that came and went before the call is not seen.
    /// - Throws: `CancellationError` when the calling task is cancelled first.
    public func waitForState(where predicate: @escaping @Sendable (SupervisorSnapshot.State) -> Bool) async throws
        -> SupervisorSnapshot.State
    {
        try await lifecycle.wait(until: predicate)
    }
}
