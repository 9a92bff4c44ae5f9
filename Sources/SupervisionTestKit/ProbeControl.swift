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
        var waiter: UnsafeContinuation<Command, Never>?
    }

    /// Set for a child that ignores cancellation; called instead of ending the wait.
    let onIgnoredCancellation: (@Sendable () -> Void)?
    private let state = Locked(State())

    init(onIgnoredCancellation: (@Sendable () -> Void)?) {
        self.onIgnoredCancellation = onIgnoredCancellation
    }

    func send(_ command: Command) {
        let waiter = state.withLock { state -> UnsafeContinuation<Command, Never>? in
            guard state.command == nil else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                state.command = command
                return waiter
            }
            state.command = command
            return nil
        }
        waiter?.resume(returning: command)
    }

    func wait() async -> Command {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let command = state.withLock { state -> Command? in
                    if let command = state.command { return command }
                    state.waiter = continuation
                    return nil
                }
                if let command { continuation.resume(returning: command) }
            }
        } onCancel: {
            if let onIgnoredCancellation { onIgnoredCancellation() } else { send(.cancelled) }
        }
    }
}
