import Foundation
import Locking

/// The state of one camera's broker link as the status shows it: connected or not, and why not.
///
/// Thread-safety: a `Locked`-protected box; written by the publisher child, read by the status.
final class BrokerLinkState: Sendable {
    /// A copy at one instant.
    struct Snapshot: Sendable, Hashable {
        /// A connection is open and publishing.
        var connected = false
        /// Why the last connection ended or the last attempt failed (redacted), while not connected.
        var lastError: String?
        /// Broker outages survived so far (connections lost or refused after one had worked).
        var outages = 0
    }

    private let state = Locked(Snapshot())

    init() {}

    /// The state now.
    var snapshot: Snapshot { state.withLock { $0 } }

    /// A connection opened.
    func connected() {
        state.withLock { s in
            s.connected = true
            s.lastError = nil
        }
    }

    /// The connection ended or an attempt failed; `newOutage` when it had been connected.
    func disconnected(_ error: String, newOutage: Bool) {
        state.withLock { s in
            s.connected = false
            s.lastError = error
            if newOutage { s.outages += 1 }
        }
    }

    /// The publisher stopped (the subtree is stopping or restarting).
    func stopped() {
        state.withLock { $0.connected = false }
    }
}
