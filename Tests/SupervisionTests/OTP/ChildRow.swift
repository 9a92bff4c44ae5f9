@testable import Supervision

/// One row of a supervisor's child table, as tests compare it with a model.
struct ChildRow: Sendable, Equatable {
    var id: String
    var restart: ChildSpec.Restart
    var state: SupervisorSnapshot.State
    var restarts: Int
    var nested: Supervisor?

    static func == (a: ChildRow, b: ChildRow) -> Bool {
        a.id == b.id && a.restart == b.restart && a.state == b.state && a.restarts == b.restarts && a.nested === b.nested
    }
}

extension Supervisor {
    /// The child table in start order, as tests compare it with a model.
    func childRows() -> [ChildRow] {
        table.withLock { table in
            table.machine.children.map {
                ChildRow(
                    id: $0.id, restart: $0.spec.restart, state: $0.state, restarts: max(0, $0.starts - 1), nested: $0.spec.nested
                )
            }
        }
    }
}
