import Supervision
import SupervisionTestKit
import Testing

@Suite("Restart types")
struct RestartTypeTests {
    @Test(.timeLimit(.minutes(1)))
    func transientChildIsRestartedAfterAFailureOnly() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = Supervisor(
            id: "root", intensity: .unlimited, backoff: .none, logger: quietLogger,
            children: [probe.child("t", restart: .transient), probe.child("p")]
        )
        let (_, result) = try await withRunning(sup) {
            #expect(await events.next(2) == ["t#1 started", "p#1 started"])
            probe.crash("t")
            #expect(await events.next(2) == ["t#1 failed", "t#2 started"])
            probe.finish("t")
            #expect(await events.next(1) == ["t#2 returned"])
            // The probe reports the return before the supervisor handles the exit.
            await until { sup.snapshot()[child: "t"]?.state == .stopped }
            // p's crash is a barrier: had t been restarted, its start would come first.
            probe.crash("p")
            #expect(await events.next(2) == ["p#1 failed", "p#2 started"])
            #expect(sup.snapshot()[child: "t"]?.state == .stopped)
            #expect(sup.snapshot()[child: "t"]?.lastExit == "normal")
            #expect(sup.snapshot().liveTasks == 1)
        }
        try result.get()
    }

    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func temporaryChildIsNeverRestartedAndIsRemoved(failing: Bool) async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = Supervisor(
            id: "root", intensity: .unlimited, backoff: .none, logger: quietLogger,
            children: [probe.child("tmp", restart: .temporary), probe.child("p")]
        )
        let (_, result) = try await withRunning(sup) {
            _ = await events.next(2)
            if failing { probe.crash("tmp") } else { probe.finish("tmp") }
            _ = await events.next(1)
            // The child announces its end before the supervisor has taken its exit: wait for the
            // removal, or p's crash below can overtake it (seen once under load).
            await until { sup.snapshot()[child: "tmp"] == nil }
            probe.crash("p")
            #expect(await events.next(2) == ["p#1 failed", "p#2 started"])
            #expect(sup.snapshot().children.map(\.id) == ["p"])
        }
        try result.get()
    }

    @Test(.timeLimit(.minutes(1)))
    func temporaryBystanderUnderOneForAllIsStoppedAndNotRestarted() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = Supervisor(
            id: "root", strategy: .oneForAll, intensity: .unlimited, backoff: .none, logger: quietLogger,
            children: [probe.child("a"), probe.child("tmp", restart: .temporary), probe.child("c", restart: .transient)]
        )
        let (_, result) = try await withRunning(sup) {
            _ = await events.next(3)
            probe.crash("a")
            #expect(await events.next(5) == ["a#1 failed", "c#1 cancelled", "tmp#1 cancelled", "a#2 started", "c#2 started"])
            #expect(sup.snapshot().children.map(\.id) == ["a", "c"])
            #expect(sup.snapshot().liveTasks == 2)
        }
        try result.get()
        #expect(await events.next(2) == ["c#2 cancelled", "a#2 cancelled"])
    }
}
