import Supervision
import SupervisionTestKit
import Testing

@Suite("Intensity and escalation")
struct IntensityTests {
    @Test(.timeLimit(.minutes(1)))
    func crashLoopExhaustsIntensity() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = Supervisor(
            id: "root", strategy: .oneForOne, intensity: RestartIntensity(maxRestarts: 2, period: .seconds(60)),
            backoff: .none, logger: quietLogger, children: [probe.child("a"), probe.child("b")]
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await #expect {
                    try await sup.run()
                } throws: { ($0 as? SupervisorError)?.code == .intensityExceeded }
            }
            _ = await events.next(2)
            for n in 1...3 {
                probe.crash("a")
                _ = await events.next(n < 3 ? 2 : 1)
            }
            try await group.waitForAll()
        }
        #expect(await events.next(1) == ["b#1 cancelled"])
        let snapshot = sup.snapshot()
        #expect(snapshot.state == .failed)
        #expect(snapshot.liveTasks == 0)
        #expect(snapshot.lastExit == "a: crash")
    }

    @Test(.timeLimit(.minutes(1)))
    func escalationTravelsThroughTwoLevels() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let (logger, _) = StreamLogHandler.make()
        let leaf = Supervisor(
            id: "leaf", strategy: .oneForAll, intensity: RestartIntensity(maxRestarts: 1, period: .seconds(60)),
            backoff: .none, logger: logger, children: [probe.child("w1"), probe.child("w2")]
        )
        let middle = Supervisor(
            id: "middle", strategy: .oneForOne, intensity: RestartIntensity(maxRestarts: 0, period: .seconds(60)),
            backoff: .none, logger: logger, children: [.supervisor(leaf), probe.child("m")]
        )
        let root = Supervisor(
            id: "root", strategy: .oneForOne, intensity: RestartIntensity(maxRestarts: 0, period: .seconds(60)),
            backoff: .none, logger: logger, children: [probe.child("r"), .supervisor(middle)]
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await #expect {
                    try await root.run()
                } throws: { error in
                    let error = error as? SupervisorError
                    return error?.code == .intensityExceeded && error?.path == "root"
                }
            }
            #expect(await events.next(4) == ["r#1 started", "w1#1 started", "w2#1 started", "m#1 started"])
            #expect(root.snapshot().liveTasks == 6)
            #expect(leaf.path == "root/middle/leaf")
            probe.crash("w2")
            #expect(await events.next(4) == ["w2#1 failed", "w1#1 cancelled", "w1#2 started", "w2#2 started"])
            #expect(leaf.snapshot().restarts == 1)
            probe.crash("w2")
            #expect(await events.next(4) == ["w2#2 failed", "w1#2 cancelled", "m#1 cancelled", "r#1 cancelled"])
            try await group.waitForAll()
        }
        #expect(root.snapshot().state == .failed)
        #expect(middle.snapshot().state == .failed)
        #expect(leaf.snapshot().state == .failed)
        #expect(root.snapshot().liveTasks == 0)
    }

    /// A departure from OTP on purpose (docs/architecture.md, "Departures from OTP, on purpose"): an
    /// OTP start function can fail, and the supervisor retries it apart from its restarts; here
    /// starting cannot fail, and a body that throws at once is an ordinary exit, restarted and
    /// counted against the intensity like any other.
    @Test(.timeLimit(.minutes(1)))
    func aChildThrowingAtStartIsAnOrdinaryExit() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = Supervisor(
            id: "root", strategy: .oneForOne, intensity: RestartIntensity(maxRestarts: 2, period: .seconds(60)),
            backoff: .none, logger: quietLogger, children: [probe.child("a", behaviour: .crashAtStart)]
        )
        await #expect {
            try await sup.run()
        } throws: { ($0 as? SupervisorError)?.code == .intensityExceeded }
        #expect(
            await events.next(6) == ["a#1 started", "a#1 failed", "a#2 started", "a#2 failed", "a#3 started", "a#3 failed"]
        )
        #expect(sup.snapshot().lastExit == "a: crash at start")
    }

    /// A departure from OTP on purpose (docs/architecture.md, "Departures from OTP, on purpose"): an OTP supervisor
    /// that gives up exits with `shutdown`, which a `transient` entry in its parent takes as a
    /// normal exit; here giving up is a failure, so the parent restarts it.
    @Test(.timeLimit(.minutes(1)))
    func aTransientSupervisorThatGivesUpIsRestarted() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let nested = Supervisor(
            id: "nested", strategy: .oneForOne, intensity: RestartIntensity(maxRestarts: 0, period: .seconds(60)),
            backoff: .none, logger: quietLogger, children: [probe.child("a")]
        )
        let root = Supervisor(
            id: "root", strategy: .oneForOne, intensity: .unlimited, backoff: .none, logger: quietLogger,
            children: [.supervisor(nested, restart: .transient)]
        )
        let (_, result) = try await withRunning(root) {
            #expect(await events.next(1) == ["a#1 started"])
            probe.crash("a")
            #expect(await events.next(2) == ["a#1 failed", "a#2 started"])
            #expect(root.snapshot().children.first?.restarts == 1)
        }
        try result.get()
    }
}
