import Supervision
import SupervisionTestKit
import Testing

@Suite("Lifecycle")
struct LifecycleTests {
    @Test(.timeLimit(.minutes(1)))
    func childrenStartInOrderAndStopInReverse() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let ids = ["c0", "c1", "c2", "c3", "c4"]
        let sup = Supervisor(id: "root", logger: quietLogger, children: ids.map { probe.child($0) })
        let (_, result) = try await withRunning(sup) {
            #expect(await events.next(5) == ids.map { "\($0)#1 started" })
        }
        try result.get()
        #expect(await events.next(5) == ids.reversed().map { "\($0)#1 cancelled" })
        #expect(sup.snapshot().state == .stopped)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingRunCancelsAndAwaitsEveryChild() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let inner = Supervisor(id: "inner", logger: quietLogger, children: [probe.child("x"), probe.child("y")])
        let sup = Supervisor(id: "root", logger: quietLogger, children: [probe.child("a"), .supervisor(inner)])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sup.run() }
            _ = await events.next(3)
            #expect(sup.snapshot().liveTasks == 4)
            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(sup.snapshot().liveTasks == 0)
        probe.close()
        var cancelled: Set<String> = []
        while let event = await events.next() {
            if event.kind == .cancelled { cancelled.insert(event.id) }
        }
        #expect(cancelled == ["a", "x", "y"])
    }

    @Test(.timeLimit(.minutes(1)))
    func runCannotBeEnteredTwiceButCanRunAgainAfterwards() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = Supervisor(id: "root", logger: quietLogger, children: [probe.child("a")])
        let (_, result) = try await withRunning(sup) {
            _ = await events.next(1)
            await #expect {
                try await sup.run()
            } throws: { ($0 as? SupervisorError)?.code == .alreadyRunning }
        }
        try result.get()
        _ = await events.next(1)
        let (_, again) = try await withRunning(sup) {
            #expect(await events.next(1) == ["a#2 started"])
        }
        try again.get()
    }
}
