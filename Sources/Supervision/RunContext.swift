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
/// The children themselves are in the supervisor's table, not here.
final class RunContext: Sendable {
    struct State {
        var stopping = false
        var childrenStarted = false
        var end: GenerationEnd?
    }

    let state = Locked(State())
    /// Which run of the supervisor this is (stale stop requests name an older one).
    let epoch: Int

    init(epoch: Int) {
        self.epoch = epoch
    }
}
