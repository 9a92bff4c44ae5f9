import Locking

/// The mailbox of one probe child incarnation.
final class ProbeControl: Sendable {
    enum Command: Sendable {
        case crash(String)
        case finish
        case cancelled
    }

    private struct State {
        var command: Command?
        var waiter = Waiters<Void, Command>()
    }

    /// Set for a child that ignores cancellation; called instead of ending the wait.
    let onIgnoredCancellation: (@Sendable () -> Void)?
    private let state = Locked(State())

    init(onIgnoredCancellation: (@Sendable () -> Void)?) {
        self.onIgnoredCancellation = onIgnoredCancellation
    }

    func send(_ command: Command) {
        let waiter = state.withLock { state -> Waiters<Void, Command>.Waiter? in
            guard state.command == nil else { return nil }
            state.command = command
            return state.waiter.removeFirst()
        }
        waiter?.resume(returning: command)
    }

    func wait() async -> Command {
        await state.waitIgnoringCancellation(in: \.waiter, as: (), unless: { $0.command.map(Result<Command, Never>.success) }) {
            if let onIgnoredCancellation { onIgnoredCancellation() } else { send(.cancelled) }
        }
    }
}
