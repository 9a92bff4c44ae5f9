extension Supervisor {
    /// A copy of this supervisor's subtree, cheap enough to take at any time.
    ///
    /// Thread-safety: callable from any task or thread; takes one short lock per supervisor.
    public func snapshot() -> SupervisorSnapshot {
        let now = clock.now()
        let state = table.withLock { $0 }
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
        let up: Bool = state.state == .running || state.state == .restarting || state.state == .backingOff
        return SupervisorSnapshot(
            id: id, kind: .supervisor, strategy: strategy, state: state.state, restarts: state.restarts,
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
        table.withLock { $0.state = newState }
    }
}
