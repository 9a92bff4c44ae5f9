import EdgeVideoTestSupport
import Foundation
import Glibc

/// The faults the appliance tests do to a scratch node beyond a signal: a cluster join, a crash
/// awaited until the VM is gone, the instant it accepts AMQP again.
extension ScratchNode {
    /// Joins `primary`'s cluster (stop_app, join_cluster, start_app); returns once it accepts AMQP.
    func join(_ primary: ScratchNode) async throws {
        try await ctl("stop_app")
        try await ctl("join_cluster", primary.node)
        try await ctl("start_app")
        _ = try await waitUntilAccepting()
    }

    /// SIGKILL, then waits until the VM is gone and its port is closed.
    func crash() async throws {
        let pid = try pid()
        try signal(SIGKILL)
        _ = try await eventually(within: .seconds(30), "node \(node) gone", poll: .milliseconds(20)) {
            kill(pid, 0) != 0 && !accepts(port: port) ? true : nil
        }
    }

    /// Waits until the port accepts TCP connections; returns that instant (polling every 5 ms).
    func waitUntilAccepting(within timeout: Duration = .seconds(120)) async throws -> Date {
        try await eventually(within: timeout, "node \(node) accepting on \(port)", poll: .milliseconds(5)) {
            accepts(port: port) ? Date() : nil
        }
    }
}
