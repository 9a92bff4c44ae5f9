import Locking

/// The link between the supervisor and one running child slot: the supervisor asks it to stop, the
/// child's body reports that it is done, and the slot waits for whichever comes first.
///
/// Thread-safety: lock-protected; any method from any task.
final class ChildHandle: Sendable {
    private enum State {
        /// The body runs; `waiter` is the slot waiting for a stop request or the body's end.
        case running(waiter: UnsafeContinuation<Void, Never>?)
        /// A stop was requested while the body ran.
        case stopRequested
        /// The body returned (a stop requested before or after changes nothing).
        case done
    }

    /// Identifies this incarnation of the child (stale exits are ignored by serial).
    let serial: Int
    private let state = Locked(State.running(waiter: nil))

    init(serial: Int) {
        self.serial = serial
    }

    /// Asks the slot to stop its body.
    func requestStop() {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            guard case .running(let waiter) = state else { return nil }
            state = .stopRequested
            return waiter
        }
        waiter?.resume()
    }

    /// Called by the body's task when it has returned.
    func bodyDone() {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            defer { state = .done }
            guard case .running(let waiter) = state else { return nil }
            return waiter
        }
        waiter?.resume()
    }

    /// Waits until a stop is requested or the body is done; returns whether the body must be stopped.
    /// Cancellation of the waiting task counts as a stop request.
    func waitForStopOrDone() async -> Bool {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    guard case .running = state else { return true }
                    state = .running(waiter: continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            requestStop()
        }
        return state.withLock { state in
            guard case .stopRequested = state else { return false }
            return true
        }
    }
}
