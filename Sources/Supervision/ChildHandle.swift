import Locking

/// The link between the supervisor and one running child slot: the supervisor asks it to stop, the
/// child's body reports that it is done, and the slot waits for whichever comes first.
///
/// Thread-safety: lock-protected; any method from any task.
final class ChildHandle: Sendable {
    private enum Phase {
        /// The body runs.
        case running
        /// A stop was requested while the body ran.
        case stopRequested
        /// The body returned (a stop requested before or after changes nothing).
        case done
    }

    private struct State {
        var phase = Phase.running
        /// The slot, while it waits for a stop request or the body's end.
        var waiter = Waiters<Void, Void>()
    }

    /// Identifies this incarnation of the child (stale exits are ignored by serial).
    let serial: Int
    private let state = Locked(State())

    init(serial: Int) {
        self.serial = serial
    }

    /// Asks the slot to stop its body.
    func requestStop() {
        let waiter = state.withLock { state -> Waiters<Void, Void>.Waiter? in
            guard case .running = state.phase else { return nil }
            state.phase = .stopRequested
            return state.waiter.removeFirst()
        }
        waiter?.resume()
    }

    /// Called by the body's task when it has returned.
    func bodyDone() {
        let waiter = state.withLock { state -> Waiters<Void, Void>.Waiter? in
            state.phase = .done
            return state.waiter.removeFirst()
        }
        waiter?.resume()
    }

    /// Waits until a stop is requested or the body is done; returns whether the body must be stopped.
    /// Cancellation of the waiting task counts as a stop request.
    func waitForStopOrDone() async -> Bool {
        await state.waitIgnoringCancellation(in: \.waiter, as: (), unless: { state -> Result<Void, Never>? in
            guard case .running = state.phase else { return .success(()) }
            return nil
        }, onCancel: {
            requestStop()
        })
        return state.withLock { state in
            guard case .stopRequested = state.phase else { return false }
            return true
        }
    }
}
