import Locking

/// The live status of one supervisor and its direct children, behind one lock, so a snapshot can
/// be taken from any thread while `run()` updates it.
final class NodeStatus: Sendable {
    struct Child {
        var id: String
        var kind: ChildSpec.Kind
        var nested: Supervisor?
        var state: SupervisorSnapshot.State = .starting
        var starts = 0
        var lastExit: String?
        var since: Duration?
        var overdue = false
        let live = LiveTaskCounter()
    }

    struct State {
        var state: SupervisorSnapshot.State = .stopped
        var runs = 0
        var restarts = 0
        var lastExit: String?
        var since: Duration?
        var path: String
        var children: [Child] = []

        mutating func withChild(_ id: String, _ body: (inout Child) -> Void) {
            if let i = children.firstIndex(where: { $0.id == id }) { body(&children[i]) }
        }
    }

    let state: Locked<State>

    init(path: String) {
        state = Locked(State(path: path))
    }

    /// Makes the child list match `specs`, keeping the counters of children that stay.
    func reconcile(_ specs: [ChildSpec]) {
        state.withLock { state in
            let old = state.children
            state.children = specs.map { spec in
                old.first { $0.id == spec.id } ?? Child(id: spec.id, kind: spec.kind, nested: spec.nested)
            }
        }
    }

    /// Appends a child that was started dynamically, or returns the existing entry's counter.
    func child(for spec: ChildSpec) -> LiveTaskCounter {
        state.withLock { state in
            if let existing = state.children.first(where: { $0.id == spec.id }) { return existing.live }
            let child = Child(id: spec.id, kind: spec.kind, nested: spec.nested)
            state.children.append(child)
            return child.live
        }
    }

    /// Forgets a child.
    func remove(_ id: String) {
        state.withLock { $0.children.removeAll { $0.id == id } }
    }

    /// Sets one child's state.
    func setChild(_ id: String, _ newState: SupervisorSnapshot.State) {
        state.withLock { $0.withChild(id) { $0.state = newState } }
    }
}
