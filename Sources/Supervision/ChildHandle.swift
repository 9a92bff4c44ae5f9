import Locking

/// The link between the supervisor and one running child slot: the supervisor asks it to stop, the
/// child's body reports that it is done, and the slot waits for whichever comes first.
///
/// Thread-safety: lock-protected; any method from any task.
final class ChildHandle: Sendable {
    private struct State {
        var stopRequested = false
        var done = false
        var waiter: UnsafeContinuation<Void, Never>?
    }

    /// Identifies this incarnation of the child (stale exits are ignored by serial).
    let serial: Int
    private let state = Locked(State())

    init(serial: Int) {
        self.serial = serial
    }

    /// Asks the slot to stop its body.
    func requestStop() {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            state.stopRequested = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Called by the body's task when it has returned.
    func bodyDone() {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            state.done = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Waits until a stop is requested or the body is done; returns whether the body must be stopped.
    /// Cancellation of the waiting task counts as a stop request.
    func waitForStopOrDone() async -> Bool {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if state.stopRequested || state.done { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            requestStop()
        }
        return state.withLock { $0.stopRequested && !$0.done }
    }
}
