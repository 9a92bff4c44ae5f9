import Supervision
import SupervisionTestKit
import Testing

@Suite("Strategies")
struct StrategyTests {
    func supervisor(_ strategy: RestartStrategy, _ probe: Probe, _ ids: [String]) -> Supervisor {
        Supervisor(
            id: "root", strategy: strategy, intensity: .unlimited, backoff: .none, logger: quietLogger,
            children: ids.map { probe.child($0) }
        )
    }

    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func oneForOneRestartsOnlyTheChildThatEnded(failing: Bool) async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = supervisor(.oneForOne, probe, ["a", "b", "c"])
        let (seen, result) = try await withRunning(sup) {
            var seen = await events.next(3)
            if failing { probe.crash("b") } else { probe.finish("b") }
            seen += await events.next(2)
            return seen
        }
        try result.get()
        #expect(seen == ["a#1 started", "b#1 started", "c#1 started", "b#1 \(failing ? "failed" : "returned")", "b#2 started"])
        #expect(await events.next(3) == ["c#1 cancelled", "b#2 cancelled", "a#1 cancelled"])
        #expect(sup.snapshot().liveTasks == 0)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func oneForAllRestartsEveryChildInOrderAfterStoppingThemInReverse(failing: Bool) async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = supervisor(.oneForAll, probe, ["a", "b", "c", "d"])
        let (seen, result) = try await withRunning(sup) {
            var seen = await events.next(4)
            if failing { probe.crash("b") } else { probe.finish("b") }
            seen += await events.next(8)
            #expect(sup.snapshot().liveTasks == 4)
            #expect(sup.snapshot().restarts == 1)
            return seen
        }
        try result.get()
        #expect(Array(seen.dropFirst(4)) == [
            "b#1 \(failing ? "failed" : "returned")", "d#1 cancelled", "c#1 cancelled", "a#1 cancelled",
            "a#2 started", "b#2 started", "c#2 started", "d#2 started",
        ])
    }

    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func restForOneRestartsTheChildAndThoseAfterIt(failing: Bool) async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = supervisor(.restForOne, probe, ["a", "b", "c", "d"])
        let (seen, result) = try await withRunning(sup) {
            _ = await events.next(4)
            if failing { probe.crash("b") } else { probe.finish("b") }
            return await events.next(6)
        }
        try result.get()
        #expect(seen == [
            "b#1 \(failing ? "failed" : "returned")", "d#1 cancelled", "c#1 cancelled",
            "b#2 started", "c#2 started", "d#2 started",
        ])
        #expect(await events.next(4) == ["d#2 cancelled", "c#2 cancelled", "b#2 cancelled", "a#1 cancelled"])
    }
}
