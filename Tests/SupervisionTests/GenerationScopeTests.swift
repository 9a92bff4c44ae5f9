import Locking
import Supervision
import SupervisionTestKit
import Synchronization
import Testing

/// A stand-in for a per-generation connection: counts how many are open and logs open/close.
final class FakeConnection: Sendable {
    let open = Atomic<Int>(0)
    let log = Locked<[String]>([])
    let maxOpen = Atomic<Int>(0)

    func opened(_ generation: Int) {
        let now = open.add(1, ordering: .sequentiallyConsistent).newValue
        maxOpen.max(now, ordering: .sequentiallyConsistent)
        log.withLock { $0.append("open \(generation)") }
    }

    func closed(_ generation: Int, liveChildren: Int) {
        open.subtract(1, ordering: .sequentiallyConsistent)
        log.withLock { $0.append("close \(generation) live=\(liveChildren)") }
    }
}

struct ConnectFailed: Error, CustomStringConvertible {
    var description: String { "connection refused" }
}

@Suite("Generation scope")
struct GenerationScopeTests {
    @Test(.timeLimit(.minutes(1)))
    func resourceIsOpenedAndClosedPerGenerationAroundAllItsChildren() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let clock = ManualClock()
        let connection = FakeConnection()
        let supervisorBox = Locked<Supervisor?>(nil)
        let sup = Supervisor(
            id: "camera:cam-1", strategy: .oneForAll, intensity: .unlimited,
            backoff: Backoff(initial: .seconds(1), maximum: .seconds(8), jitter: 0), clock: clock, logger: quietLogger
        ) { generation, startChildren in
            connection.opened(generation)
            if generation == 2 {
                connection.closed(generation, liveChildren: 0)
                throw ConnectFailed()
            }
            try await startChildren([
                probe.child("drainer", shutdownTimeout: nil, generation: generation),
                probe.child("publisher", shutdownTimeout: nil, generation: generation),
            ])
            let live = supervisorBox.withLock { $0 }?.snapshot().liveTasks ?? -1
            connection.closed(generation, liveChildren: live)
        }
        supervisorBox.withLock { $0 = sup }
        // The scope holds the box and the supervisor holds the scope: break the cycle at the end.
        defer { supervisorBox.withLock { $0 = nil } }
        let (_, result) = try await withRunning(sup) {
            #expect(await events.next(2) == ["drainer#1 started", "publisher#1 started"])
            probe.crash("publisher")
            #expect(await events.next(2) == ["publisher#1 failed", "drainer#1 cancelled"])
            await clock.waitForSleepers(count: 1)
            #expect(sup.snapshot().state == .backingOff)
            clock.advance(by: .seconds(1))  // generation 2 fails to connect, then backs off 2 s
            await clock.waitForSleepers(count: 1)
            #expect(sup.snapshot().lastExit == "connection refused")
            #expect(clock.deadlines == [clock.now.advanced(by: .seconds(2))])
            clock.advance(by: .seconds(2))
            let third = await events.next()
            #expect(third?.generation == 3)
            _ = await events.next(1)
            #expect(sup.snapshot().restarts == 2)
            // Set after the children's start events: waited on, not read at once.
            let running = try await sup.waitForState { $0 == .running }
            #expect(running == .running)
        }
        try result.get()
        #expect(connection.log.withLock { $0 } == [
            "open 1", "close 1 live=0", "open 2", "close 2 live=0", "open 3", "close 3 live=0",
        ])
        #expect(connection.maxOpen.load(ordering: .sequentiallyConsistent) == 1)
        #expect(connection.open.load(ordering: .sequentiallyConsistent) == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func failingScopeCountsAgainstIntensity() async throws {
        let attempts = Atomic<Int>(0)
        let sup = Supervisor(
            id: "camera", intensity: RestartIntensity(maxRestarts: 2, period: .seconds(60)), backoff: .none,
            logger: quietLogger
        ) { _, _ in
            attempts.add(1, ordering: .relaxed)
            throw ConnectFailed()
        }
        await #expect {
            try await sup.run()
        } throws: { ($0 as? SupervisorError)?.code == .intensityExceeded }
        #expect(attempts.load(ordering: .relaxed) == 3)
        #expect(sup.snapshot().lastExit == "connection refused")
    }

    @Test(.timeLimit(.minutes(1)))
    func scopeThatNeverStartsItsChildrenIsAFailure() async throws {
        let sup = Supervisor(
            id: "camera", intensity: RestartIntensity(maxRestarts: 0, period: .seconds(60)), backoff: .none,
            logger: quietLogger
        ) { _, _ in }
        await #expect(throws: SupervisorError.self) { try await sup.run() }
    }

    @Test(.timeLimit(.minutes(1)))
    func stopWhileTheScopeConnectsStartsNoChildren() async throws {
        let probe = Probe()
        let connection = FakeConnection()
        let (connecting, connectingContinuation) = AsyncStream<Void>.makeStream()
        let (proceed, proceedContinuation) = AsyncStream<Void>.makeStream()
        let sup = Supervisor(id: "camera", intensity: .unlimited, backoff: .none, logger: quietLogger) { generation, startChildren in
            connection.opened(generation)
            connectingContinuation.yield()
            for await _ in proceed { break }  // the "connect" takes a while
            try await startChildren([probe.child("publisher")])
            connection.closed(generation, liveChildren: 0)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sup.run() }
            for await _ in connecting { break }
            sup.stop()
            proceedContinuation.yield()
            try await group.waitForAll()
        }
        probe.close()
        var started = 0
        for await _ in probe.events { started += 1 }
        #expect(started == 0)
        #expect(connection.log.withLock { $0 } == ["open 1", "close 1 live=0"])
        #expect(sup.snapshot().state == .stopped)
    }

    /// A task waiting on the supervisor's own state wakes on the change itself: backing off after a
    /// failed connect, running once the next generation has started its children, stopped; a
    /// waiter for a state that never comes is cancelled. (Without the wake-ups, the time limit
    /// fails the test.)
    @Test(.timeLimit(.minutes(1)))
    func waitForStateWakesOnTheSupervisorsOwnChanges() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let clock = ManualClock()
        let sup = Supervisor(
            id: "camera:cam-w", intensity: .unlimited, backoff: Backoff(initial: .seconds(1), maximum: .seconds(1), jitter: 0),
            clock: clock, logger: quietLogger
        ) { generation, startChildren in
            if generation == 1 { throw ConnectFailed() }
            try await startChildren([probe.child("publisher", shutdownTimeout: nil, generation: generation)])
        }
        // The backoff lasts until the manual clock moves, so this waiter sees it however late it runs.
        let backingOff = Task { try await sup.waitForState { $0 == .backingOff } }
        let (_, result) = try await withRunning(sup) {
            let backedOff = try await backingOff.value
            #expect(backedOff == .backingOff)
            let failed = Task { try await sup.waitForState { $0 == .failed } }
            await clock.waitForSleepers(count: 1)
            clock.advance(by: .seconds(1))
            #expect(await events.next()?.generation == 2)
            let running = try await sup.waitForState { $0 == .running }
            #expect(running == .running)
            failed.cancel()
            await #expect(throws: CancellationError.self) { try await failed.value }
        }
        try result.get()
        let stopped = try await sup.waitForState { $0 == .stopped }
        #expect(stopped == .stopped)
    }
}
