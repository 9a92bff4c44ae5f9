import Locking

/// What ended a generation of children.
enum GenerationEnd: Sendable {
    /// The supervisor is stopping.
    case stopped
    /// Start a new generation after `delay`.
    case restart(delay: Duration, reason: String)
    /// Give up.
    case escalate(reason: String)
    /// The children cannot be started at all (duplicate ids).
    case invalid(SupervisorError)
}

/// State of one `run()` that outlives a generation, shared with the generation scope's closure.
final class RunContext: Sendable {
    struct State {
        var machine: RestartStateMachine
        /// Children of every generation: the initial ones (no scope) plus dynamically started ones.
        var specs: [ChildSpec]
        var serial = 0
        var token = 0
        var stopping = false
        var childrenStarted = false
        var end: GenerationEnd?
    }

    let state: Locked<State>
    /// Which run of the supervisor this is (stale stop requests name an older one).
    let epoch: Int

    init(_ state: State, epoch: Int) {
        self.state = Locked(state)
        self.epoch = epoch
    }

    func nextSerial() -> Int {
        state.withLock { $0.serial += 1; return $0.serial }
    }

    func nextToken() -> Int {
        state.withLock { $0.token += 1; return $0.token }
    }
}
