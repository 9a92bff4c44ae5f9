/// Whether the process should be left running: the answer systemd's watchdog and `GET /livez`
/// both act on.
package enum Liveness: Sendable, Equatable {
    /// The root supervisor is starting, running or stopping: restarting the process would not help.
    case alive
    /// The root supervisor failed (gave up) or has stopped: only a new process can recover.
    case dead(reason: String)
}

extension FleetSnapshot {
    /// The one liveness definition: the root supervisor has not failed (given up) and has not
    /// stopped. Neither a camera's failures nor a broker outage count; they are readiness.
    ///
    /// `Appliance.pingWatchdog()` sends `WATCHDOG=1` only while this is ``Liveness/alive``, and
    /// `GET /livez` answers 200 only then (Sources/EdgeVideo/HTTP/HTTPRoutes.swift).
    package var liveness: Liveness {
        switch tree.state {
        case .failed, .stopped: .dead(reason: "root supervisor is \(tree.state.rawValue)")
        default: .alive
        }
    }

    /// Why the tree is not delivering every camera's frames to the broker, one line per problem,
    /// sorted by camera id; empty while ready: the root runs, and every configured camera runs
    /// with its broker connection open.
    ///
    /// A broker that refuses the frames or returns them unroutable shows as the camera's
    /// `broker_problem`. A camera rides out a broker outage running, keeping its frames, so the outage shows as
    /// `camera <id> broker disconnected`, not as a camera state. A spool that fails is a problem
    /// too (frames would be lost in a longer outage). `GET /readyz` and `GET /healthz` both report
    /// these lines.
    package var readinessProblems: [String] {
        var reasons: [String] = []
        if tree.state != .running { reasons.append("root supervisor is \(tree.state.rawValue)") }
        for (id, camera) in cameras.sorted(by: { $0.key < $1.key }) {
            let why = camera.lastError.map { ": \($0)" } ?? ""
            if camera.state != .running {
                reasons.append("camera \(id) is \(camera.state.rawValue)" + why)
            } else if let problem = camera.brokerProblem {
                reasons.append("camera \(id): \(problem)")
            } else if camera.broker != .connected {
                reasons.append("camera \(id) broker \(camera.broker.rawValue)" + why)
            }
        }
        if let problem = spool?.lastError { reasons.append("spool: \(problem) (frames beyond the publish queue are dropped)") }
        return reasons
    }
}
