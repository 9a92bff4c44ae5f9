import EdgeVideoTestSupport
import Foundation
import Testing

@testable import EdgeVideo

extension BinaryTests {
    /// A three-node RabbitMQ cluster of scratch nodes (joined with `join_cluster`), a quorum queue
    /// and `amqp.urls` naming all three nodes: the node the cameras are connected to is SIGKILLed,
    /// once while it leads the queue and once while it does not. The cameras move to the next node
    /// within 5 s and nothing confirmed is lost. With more runs (scripts/faults.sh), the node the
    /// cameras moved to is killed next, while the first one is back (A and B take turns; C stays).
    @Suite struct ClusterFaultTests {
        @Test(.timeLimit(.minutes(FaultRun.minutes(6))), arguments: [true, false])
        func killedNodeFailsOver(leadsTheQueue: Bool) async throws {
            try await ScratchNode.with("ca") { a in
                try await ScratchNode.with("cb") { b in
                    try await ScratchNode.with("cc") { c in
                        try await b.join(a)
                        try await c.join(a)
                        // C is never killed: the test's own commands and consumers go through it.
                        let h = try ApplianceHarness("cluster", scratch: c, appPorts: [a.port, b.port, c.port])
                        // The queue is declared through the node that is to lead it.
                        let run = try await FaultRun(
                            "cluster failover (killed node \(leadsTheQueue ? "leads" : "does not lead") the queue)",
                            harness: h, cameras: BrokerFaultTests.cameras(), amqp: BrokerFaultTests.amqp,
                            queueArguments: ["x-queue-type=quorum"], declareVia: h.url(port: leadsTheQueue ? a.port : c.port))
                        let leader = try await c.ctl("list_queues", "-p", h.vhost, "name", "leader")
                        #expect(leader.contains(leadsTheQueue ? a.node : c.node), "\(leader)")
                        // A connection's pid names its node: `<node.N.M>`.
                        let onA = try await c.ctl("list_connections", "pid", "vhost")
                        #expect(onA.split(separator: "\n").filter { $0.hasSuffix(h.vhost) }.allSatisfy { $0.hasPrefix("<" + a.node) }, "\(onA)")
                        // Then the node the cameras are on is killed, they move on, it comes back; again.
                        let runs = FaultRun.runs(suite: 1)
                        var victim = a, survivor = b
                        for _ in 0..<runs {
                            let killed = Date()
                            try await victim.crash()
                            try await run.waitForRecovery(acceptedAt: killed)
                            let after = try await c.ctl("list_connections", "pid", "vhost")
                            #expect(
                                after.split(separator: "\n").filter { $0.hasSuffix(h.vhost) }.allSatisfy { $0.hasPrefix("<" + survivor.node) },
                                "\(after)")
                            try await victim.startAgain()
                            (victim, survivor) = (survivor, victim)
                        }
                        try await run.finish(runs: runs, leaks: try await run.leaks(), maxRecovery: 5.0)
                    }
                }
            }
        }
    }
}
