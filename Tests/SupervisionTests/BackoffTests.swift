import Supervision
import SupervisionTestKit
import Testing

@Suite("Backoff (virtual clock)")
struct BackoffTests {
    let backoff = Backoff(initial: .seconds(1), maximum: .seconds(8), multiplier: 2, jitter: 0, resetAfter: .seconds(30))

    /// A departure from OTP on purpose (docs/architecture.md, "Departures from OTP, on purpose"): OTP
    /// restarts at once; here a ``Backoff`` waits between restarts (`.none` restarts at once).
    @Test(.timeLimit(.minutes(1)))
    func delayGrowsIsVisibleAndResetsAfterAQuietSpell() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let clock = ManualClock()
        let sup = Supervisor(
            id: "root", strategy: .oneForOne, intensity: .unlimited, backoff: backoff, clock: clock,
            logger: quietLogger, children: [probe.child("a", shutdownTimeout: nil), probe.child("b")]
        )
        let (_, result) = try await withRunning(sup) {
            _ = await events.next(2)
            var expected: [Duration] = []
            for (n, delay) in [1, 2, 4, 8, 8].enumerated() {
                probe.crash("a")
                #expect(await events.next(1) == ["a#\(n + 1) failed"])
                await clock.waitForSleepers(count: 1)
                #expect(sup.snapshot()[child: "a"]?.state == .backingOff)
                #expect(sup.snapshot()[child: "b"]?.state == .running)
                #expect(clock.deadlines == [clock.now.advanced(by: .seconds(delay))])
                expected.append(.seconds(delay))
                clock.advance(by: .seconds(delay) - .milliseconds(1))
                #expect(clock.sleeperCount == 1)  // not yet
                clock.advance(by: .milliseconds(1))
                #expect(await events.next(1) == ["a#\(n + 2) started"])
            }
            clock.advance(by: .seconds(30))
            probe.crash("a")
            _ = await events.next(1)
            await clock.waitForSleepers(count: 1)
            #expect(clock.deadlines == [clock.now.advanced(by: .seconds(1))])
            clock.advance(by: .seconds(1))
            #expect(await events.next(1) == ["a#7 started"])
            #expect(sup.snapshot()[child: "a"]?.restarts == 6)
        }
        try result.get()
    }

    @Test(.timeLimit(.minutes(1)))
    func oneForAllBacksOffBetweenGenerationsAndStopsDuringBackoff() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let clock = ManualClock()
        let sup = Supervisor(
            id: "root", strategy: .oneForAll, intensity: .unlimited, backoff: backoff, clock: clock,
            logger: quietLogger,
            children: [probe.child("x", shutdownTimeout: nil), probe.child("y", shutdownTimeout: nil)]
        )
        let (_, result) = try await withRunning(sup) {
            _ = await events.next(2)
            probe.crash("x")
            #expect(await events.next(2) == ["x#1 failed", "y#1 cancelled"])
            await clock.waitForSleepers(count: 1)
            #expect(sup.snapshot().state == .backingOff)
            #expect(sup.snapshot().liveTasks == 0)
            clock.advance(by: .seconds(1))
            #expect(await events.next(2) == ["x#2 started", "y#2 started"])
            // Set after the children's start events: waited on, not read at once.
            let running = try await sup.waitForState { $0 == .running }
            #expect(running == .running)
            probe.crash("y")
            #expect(await events.next(2) == ["y#2 failed", "x#2 cancelled"])
            await clock.waitForSleepers(count: 1)
            #expect(clock.deadlines == [clock.now.advanced(by: .seconds(2))])
            // withRunning now stops the supervisor while it is backing off.
        }
        try result.get()
        #expect(sup.snapshot().state == .stopped)
    }
}
