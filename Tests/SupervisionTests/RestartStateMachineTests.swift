import Testing

@testable import Supervision

@Suite("RestartStateMachine (pure)")
struct RestartStateMachineTests {
    typealias Machine = RestartStateMachine

    func machine(
        _ strategy: RestartStrategy, _ children: [(String, ChildSpec.Restart)],
        intensity: RestartIntensity = .unlimited, backoff: Backoff = .none
    ) -> Machine {
        var machine = Machine(strategy: strategy, intensity: intensity, backoff: backoff, seed: 1)
        machine.beginRun(children.map { ChildSpec(id: $0.0, restart: $0.1) {} })
        for (id, _) in children { machine.started(id: id) }
        return machine
    }

    @Test func oneForOneRestartsOnlyTheFailedChild() {
        var m = machine(.oneForOne, [("a", .permanent), ("b", .permanent), ("c", .permanent)])
        #expect(m.exited(id: "b", reason: .failure("x"), now: .zero) == .restart(stop: [], forget: [], start: ["b"], delay: .zero))
    }

    @Test func restForOneStopsLaterChildrenInReverseAndRestartsInOrder() {
        var m = machine(.restForOne, [("a", .permanent), ("b", .permanent), ("c", .permanent), ("d", .permanent)])
        #expect(
            m.exited(id: "b", reason: .failure("x"), now: .zero)
                == .restart(stop: ["d", "c"], forget: [], start: ["b", "c", "d"], delay: .zero)
        )
    }

    @Test func restForOneForgetsTemporaryChildrenItStops() {
        var m = machine(.restForOne, [("a", .permanent), ("b", .permanent), ("t", .temporary), ("d", .transient)])
        #expect(
            m.exited(id: "b", reason: .normal, now: .zero) == .restart(stop: ["d", "t"], forget: ["t"], start: ["b", "d"], delay: .zero)
        )
    }

    @Test func oneForAllRestartsTheGenerationAndDropsTemporaryBystanders() {
        var m = machine(.oneForAll, [("a", .permanent), ("t", .temporary), ("c", .transient)])
        #expect(m.exited(id: "a", reason: .failure("x"), now: .zero) == .restartGeneration(forget: ["t"], delay: .zero))
    }

    @Test(arguments: [
        (ChildSpec.Restart.permanent, ExitReason.normal, true), (.permanent, .cancelled, true),
        (.permanent, .failure("x"), true), (.transient, .normal, false), (.transient, .cancelled, false),
        (.transient, .failure("x"), true), (.temporary, .normal, false), (.temporary, .failure("x"), false),
    ])
    func restartTypes(restart: ChildSpec.Restart, reason: ExitReason, restarts: Bool) {
        var m = machine(.oneForAll, [("a", .permanent), ("x", restart)])
        let action = m.exited(id: "x", reason: reason, now: .zero)
        if restarts {
            #expect(action == .restartGeneration(forget: [], delay: .zero))
        } else {
            #expect(action == (restart == .temporary ? .remove : .keep))
            #expect(m.children.contains { $0.id == "x" } == (restart != .temporary))
        }
    }

    @Test func intensityIsASlidingWindow() {
        var m = machine(.oneForOne, [("a", .permanent)], intensity: RestartIntensity(maxRestarts: 2, period: .seconds(10)))
        #expect(m.exited(id: "a", reason: .failure("x"), now: .seconds(0)) == .restart(stop: [], forget: [], start: ["a"], delay: .zero))
        m.started(id: "a")
        #expect(m.exited(id: "a", reason: .failure("x"), now: .seconds(5)) == .restart(stop: [], forget: [], start: ["a"], delay: .zero))
        m.started(id: "a")
        // The restart at 0 s has left the window at 11 s, so this is the 2nd in the window.
        #expect(m.exited(id: "a", reason: .failure("x"), now: .seconds(11)) == .restart(stop: [], forget: [], start: ["a"], delay: .zero))
        m.started(id: "a")
        #expect(m.exited(id: "a", reason: .failure("x"), now: .seconds(12)) == .escalate)
    }

    /// OTP keeps a restart exactly one period old in the window (the differential compares this
    /// boundary: Tests/SupervisionTests/OTP/ScheduleGenerator.swift, short-period schedules).
    @Test func intensityWindowIncludesARestartExactlyOnePeriodOld() {
        var m = machine(.oneForOne, [("a", .permanent)], intensity: RestartIntensity(maxRestarts: 2, period: .seconds(10)))
        #expect(m.exited(id: "a", reason: .failure("x"), now: .seconds(0)) == .restart(stop: [], forget: [], start: ["a"], delay: .zero))
        m.started(id: "a")
        #expect(m.exited(id: "a", reason: .failure("x"), now: .seconds(5)) == .restart(stop: [], forget: [], start: ["a"], delay: .zero))
        m.started(id: "a")
        // At 10 s the restart at 0 s is still in the window: this is the 3rd.
        #expect(m.exited(id: "a", reason: .failure("x"), now: .seconds(10)) == .escalate)
    }

    /// A departure from OTP on purpose (docs/architecture.md, "Departures from OTP, on purpose"):
    /// OTP reads its clock in whole seconds, so restarts at 0.1 s and 1.9 s are 0 s and 1 s there,
    /// both in a 1 s window; here the window is measured exactly, and 0.1 s has left it at 1.9 s.
    @Test func intensityWindowIsMeasuredExactlyNotInWholeSeconds() {
        var m = machine(.oneForOne, [("a", .permanent)], intensity: RestartIntensity(maxRestarts: 1, period: .seconds(1)))
        #expect(m.exited(id: "a", reason: .failure("x"), now: .milliseconds(100)) == .restart(stop: [], forget: [], start: ["a"], delay: .zero))
        m.started(id: "a")
        #expect(m.exited(id: "a", reason: .failure("x"), now: .milliseconds(1900)) == .restart(stop: [], forget: [], start: ["a"], delay: .zero))
        m.started(id: "a")
        #expect(m.exited(id: "a", reason: .failure("x"), now: .milliseconds(2000)) == .escalate)
    }

    @Test func zeroIntensityEscalatesAtTheFirstRestart() {
        var m = machine(.oneForAll, [("a", .permanent)], intensity: RestartIntensity(maxRestarts: 0, period: .seconds(1)))
        #expect(m.exited(id: "a", reason: .normal, now: .zero) == .escalate)
    }

    @Test func unlimitedIntensityNeverEscalates() {
        var m = machine(.oneForOne, [("a", .permanent)], intensity: .unlimited)
        for i in 0..<10_000 {
            #expect(m.exited(id: "a", reason: .failure("x"), now: .milliseconds(i)) == .restart(stop: [], forget: [], start: ["a"], delay: .zero))
            m.started(id: "a")
        }
    }

    @Test func generationFailureCountsAgainstIntensity() {
        var m = machine(.oneForAll, [], intensity: RestartIntensity(maxRestarts: 1, period: .seconds(10)))
        #expect(m.generationFailed(now: .zero) == .restartGeneration(forget: [], delay: .zero))
        #expect(m.generationFailed(now: .seconds(1)) == .escalate)
    }

    @Test func backoffGrowsCapsAndResetsAfterAQuietSpell() {
        let backoff = Backoff(initial: .seconds(1), maximum: .seconds(8), multiplier: 2, jitter: 0, resetAfter: .seconds(30))
        var m = machine(.oneForOne, [("a", .permanent)], backoff: backoff)
        var now = Duration.zero
        var delays: [Duration] = []
        for _ in 0..<6 {
            guard case .restart(_, _, _, let delay) = m.exited(id: "a", reason: .failure("x"), now: now) else {
                Issue.record("expected a restart")
                return
            }
            delays.append(delay)
            now += delay
            m.started(id: "a")
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)])
        now += .seconds(30)
        #expect(m.exited(id: "a", reason: .failure("x"), now: now) == .restart(stop: [], forget: [], start: ["a"], delay: .seconds(1)))
    }

    /// Cancelling a supervisor cancels every slot at once, so the watchdog can report a child
    /// overdue before the runner's stop reaches it: the mark stays through the stop until it returns.
    @Test func overdueWhileRunningIsKeptThroughTheStop() throws {
        var m = machine(.oneForOne, [("a", .permanent)])
        let handle = try #require(m.children[0].handle)
        m.overdue(serial: handle.serial)
        #expect(m.children[0].state == .running && m.children[0].overdue)
        #expect(m.beginStop("a", as: .stopping) === handle)
        #expect(m.children[0].state == .stopping && m.children[0].overdue)
        m.stopped("a")
        #expect(m.children[0].state == .stopped && !m.children[0].overdue && m.children[0].handle == nil)
    }

    /// A stop cancels a pending backoff timer; the row still shows `backing_off` until it starts.
    @Test func aStopCancelsTheBackoffTimer() {
        var m = machine(.oneForOne, [("a", .permanent)], backoff: Backoff(initial: .seconds(1), maximum: .seconds(1)))
        _ = m.exited(id: "a", reason: .failure("x"), now: .zero)
        let token = m.nextToken()
        m.backOff(["a"], token: token)
        #expect(m.children[0].state == .backingOff && m.due(token: token) == ["a"])
        #expect(m.beginStop("a", as: .stopping) == nil)
        #expect(m.children[0].state == .backingOff && m.due(token: token) == [])
    }

    /// A start ends the backoff: the timer's token no longer names the child, and its uptime counts
    /// from the start.
    @Test func aStartEndsTheBackoff() {
        var m = machine(.oneForOne, [("a", .permanent)], backoff: Backoff(initial: .seconds(1), maximum: .seconds(1)))
        _ = m.exited(id: "a", reason: .failure("x"), now: .zero)
        let token = m.nextToken()
        m.backOff(["a"], token: token)
        #expect(m.start("a", now: .seconds(5)) != nil)
        #expect(m.children[0].state == .running && m.children[0].since == .seconds(5) && m.due(token: token) == [])
    }

    /// An exit ends the incarnation, overdue mark and all; its serial is stale from then on.
    @Test func anExitEndsTheIncarnation() throws {
        var m = machine(.oneForOne, [("a", .transient)])
        let serial = try #require(m.children[0].handle?.serial)
        m.overdue(serial: serial)
        #expect(m.exited(serial: serial, reason: .normal, now: .zero)?.action == .keep)
        #expect(m.children[0].state == .stopped && m.children[0].handle == nil && !m.children[0].overdue)
        #expect(m.exited(serial: serial, reason: .normal, now: .zero) == nil)
    }

    @Test func jitterStaysWithinItsBounds() {
        let backoff = Backoff(initial: .seconds(10), maximum: .seconds(100), multiplier: 1, jitter: 0.2)
        var rng = SplitMix64(seed: 42)
        for _ in 0..<1000 {
            let delay = backoff.delay(attempt: 0, unit: rng.nextUnit())
            #expect(delay >= .seconds(8) && delay <= .seconds(12))
        }
    }
}

extension RestartStateMachine {
    /// The exit of the running incarnation of `id`.
    mutating func exited(id: String, reason: ExitReason, now: Duration) -> ExitAction? {
        guard let serial = children.first(where: { $0.id == id })?.handle?.serial else { return nil }
        return exited(serial: serial, reason: reason, now: now)?.action
    }

    /// Starts a new incarnation of `id`.
    mutating func started(id: String) {
        _ = start(id, now: .zero)
    }
}
