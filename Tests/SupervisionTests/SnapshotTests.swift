import Foundation
import Supervision
import SupervisionTestKit
import Testing

@Suite("Status snapshot")
struct SnapshotTests {
    @Test(.timeLimit(.minutes(1)))
    func encodesTheContractNodeShape() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let camera = Supervisor(
            id: "camera:cam-1", strategy: .oneForAll, intensity: .unlimited, backoff: .none, logger: quietLogger,
            children: [probe.child("publisher"), probe.child("capture")]
        )
        let root = Supervisor(id: "root", intensity: .unlimited, backoff: .none, logger: quietLogger, children: [.supervisor(camera)])
        let (json, result) = try await withRunning(root) {
            _ = await events.next(2)
            probe.crash("publisher", reason: "connection closed by broker")
            _ = await events.next(4)
            // A supervisor marks itself running after its children's start events: wait for both.
            await until { root.snapshot().state == .running && root.snapshot()[child: "camera:cam-1"]?.state == .running }
            #expect(root.snapshot().rendered().contains("└─ camera:cam-1  one_for_all  running  restarts 1  tasks 2"))
            return try JSONEncoder().encode(root.snapshot())
        }
        try result.get()
        let tree = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(Set(tree.keys) == ["id", "kind", "strategy", "state", "restarts", "live_tasks", "children"])
        #expect(tree["id"] as? String == "root")
        #expect(tree["strategy"] as? String == "one_for_one")
        #expect(tree["state"] as? String == "running")
        #expect(tree["live_tasks"] as? Int == 3)
        let cameraNode = try #require((tree["children"] as? [[String: Any]])?.first)
        #expect(Set(cameraNode.keys) == ["id", "kind", "strategy", "state", "restarts", "last_exit", "live_tasks", "children"])
        #expect(cameraNode["id"] as? String == "camera:cam-1")
        #expect(cameraNode["kind"] as? String == "supervisor")
        #expect(cameraNode["strategy"] as? String == "one_for_all")
        #expect(cameraNode["restarts"] as? Int == 1)
        #expect(cameraNode["last_exit"] as? String == "publisher: connection closed by broker")
        #expect(cameraNode["live_tasks"] as? Int == 2)
        let publisher = try #require((cameraNode["children"] as? [[String: Any]])?.first)
        #expect(Set(publisher.keys) == ["id", "kind", "state", "restarts", "last_exit"])
        #expect(publisher["kind"] as? String == "worker")
        #expect(publisher["restarts"] as? Int == 1)
        #expect(publisher["last_exit"] as? String == "connection closed by broker")
    }

    @Test(.timeLimit(.minutes(1)))
    func snapshotIsCheapFromManyThreadsWhileRestarting() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = Supervisor(
            id: "root", strategy: .oneForAll, intensity: .unlimited, backoff: .none, logger: quietLogger,
            children: [probe.child("a"), probe.child("b")]
        )
        let (_, result) = try await withRunning(sup) {
            _ = await events.next(2)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<2_000 {
                            let snapshot = sup.snapshot()
                            #expect((0...2).contains(snapshot.liveTasks))
                        }
                    }
                }
                for n in 1...200 {
                    probe.crash(n.isMultiple(of: 2) ? "a" : "b")
                    _ = await events.next(4)
                }
                try await group.waitForAll()
            }
            #expect(sup.snapshot().restarts == 200)
            #expect(sup.snapshot().liveTasks == 2)
        }
        try result.get()
    }
}
