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

@Suite("Requests during a restart")
struct RequestsDuringRestartTests {
    /// A stop and a start that arrive while a restart waits for a slow child are kept, not dropped
    /// with the generation that ends (a dropped stop would leave run() running).
    @Test(.timeLimit(.minutes(1)))
    func requestsArrivingWhileARestartWaitsAreNotLost() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = Supervisor(
            id: "root", strategy: .oneForAll, intensity: .unlimited, backoff: .none, logger: quietLogger,
            children: [probe.child("a"), probe.child("b", behaviour: .ignoresCancellation)]
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sup.run() }
            _ = await events.next(2)
            probe.crash("a")
            #expect(await events.next(2) == ["a#1 failed", "b#1 ignored_cancellation"])
            // The restart now waits for b, which ignores cancellation.
            sup.stop()
            group.addTask {
                do {
                    try await sup.startChild(probe.child("late"))
                } catch let error as SupervisorError {
                    #expect(error.code == .notRunning)
                }
            }
            probe.release("b")
            #expect(await events.next(1) == ["b#1 cancelled"])
            try await group.waitForAll()  // returns only if the stop was kept
        }
        // The kept stop also means the next generation is never started.
        probe.close()
        #expect(await events.next(1) == [])
        #expect(sup.snapshot().state == .stopped)
        #expect(sup.snapshot().liveTasks == 0)
    }
}
