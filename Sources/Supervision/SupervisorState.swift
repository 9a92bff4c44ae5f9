/// Everything one supervisor knows, kept behind its one lock (`Supervisor.table`): the restart
/// state machine, which owns the child table, and the supervisor's own status but its state
/// (`Supervisor.lifecycle`, which tasks can wait on). The runner changes it only through the
/// machine; a snapshot reads it under the same lock.
struct SupervisorState: Sendable {
    var machine: RestartStateMachine
    var runs = 0
    var restarts = 0
    var lastExit: String?
    var since: Duration?
    var path: String
}
