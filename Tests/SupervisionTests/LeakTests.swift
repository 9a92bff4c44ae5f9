import Supervision
import SupervisionTestKit
import Testing

@Suite("Leaks")
struct LeakTests {
    @Test(.timeLimit(.minutes(2)))
    func tenThousandRestartsOfAFourChildOneForAllSubtreeLeaveLiveTasksUnchanged() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let ids = ["drainer", "publisher", "encoder", "capture"]
        let subtree = Supervisor(
            id: "camera:cam-1", strategy: .oneForAll, intensity: .unlimited, backoff: .none, logger: quietLogger,
            children: ids.map { probe.child($0) }
        )
        let root = Supervisor(id: "root", intensity: .unlimited, backoff: .none, logger: quietLogger, children: [.supervisor(subtree)])
        let (_, result) = try await withRunning(root) {
            _ = await events.next(4)
            let steady = root.snapshot().liveTasks
            #expect(steady == 5)
            var wrong = 0
            for n in 0..<10_000 {
                probe.crash(ids[n % 4])
                _ = await events.next(8)  // 1 failed, 3 cancelled, 4 started
                if root.snapshot().liveTasks != steady { wrong += 1 }
            }
            #expect(wrong == 0)
            #expect(root.snapshot().liveTasks == steady)
            #expect(subtree.snapshot().restarts == 10_000)
        }
        try result.get()
        #expect(root.snapshot().liveTasks == 0)
    }
}
