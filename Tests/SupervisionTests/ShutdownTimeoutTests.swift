import Supervision
import SupervisionTestKit
import Testing

@Suite("Shutdown timeouts")
struct ShutdownTimeoutTests {
    /// A departure from OTP on purpose (docs/architecture.md, "Departures from OTP, on purpose"): OTP
    /// kills a child past its shutdown timeout; here it is reported overdue and still awaited.
    @Test(.timeLimit(.minutes(1)))
    func childIgnoringCancellationIsReportedByPathAndStillAwaited() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let clock = ManualClock()
        let (logger, logs) = StreamLogHandler.make()
        let sup = Supervisor(
            id: "root", intensity: .unlimited, backoff: .none, clock: clock, logger: logger,
            children: [
                probe.child("good"),
                probe.child("stubborn", shutdownTimeout: .seconds(2), behaviour: .ignoresCancellation),
            ]
        )
        let (_, result) = try await withRunning(sup) {
            _ = await events.next(2)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await sup.terminateChild(id: "stubborn") }
                await clock.waitForSleepers(count: 1)  // the watchdog, until 2 s
                #expect(sup.snapshot().overdueShutdownPaths() == [])
                #expect(sup.snapshot()[child: "stubborn"]?.state == .stopping)
                clock.advance(by: .seconds(2))
                var warning: StreamLogHandler.Record?
                for await record in logs where record.level == .warning {
                    warning = record
                    break
                }
                #expect(warning?.metadata["child"] == "root/stubborn")
                #expect(sup.snapshot().overdueShutdownPaths() == ["root/stubborn"])
                #expect(sup.snapshot().liveTasks == 2)  // still waited for
                probe.release("stubborn")
                try await group.waitForAll()
            }
            #expect(await events.next(2) == ["stubborn#1 ignored_cancellation", "stubborn#1 cancelled"])
            #expect(sup.snapshot().overdueShutdownPaths() == [])
            #expect(sup.snapshot().children.map(\.id) == ["good"])
            #expect(sup.snapshot().liveTasks == 1)
        }
        try result.get()
        #expect(await events.next(1) == ["good#1 cancelled"])
    }

    @Test(.timeLimit(.minutes(1)))
    func overduePathsReachIntoNestedSupervisors() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let clock = ManualClock()
        let (logger, logs) = StreamLogHandler.make()
        let camera = Supervisor(
            id: "camera:cam-1", strategy: .oneForAll, intensity: .unlimited, backoff: .none, clock: clock,
            logger: logger,
            children: [probe.child("publisher"), probe.child("capture", shutdownTimeout: .seconds(1), behaviour: .ignoresCancellation)]
        )
        let root = Supervisor(id: "root", intensity: .unlimited, backoff: .none, clock: clock, logger: quietLogger, children: [.supervisor(camera)])
        let (_, result) = try await withRunning(root) {
            _ = await events.next(2)
            root.stop()
            await clock.waitForSleepers(count: 1)
            clock.advance(by: .seconds(1))
            for await record in logs where record.level == .warning { break }
            #expect(root.snapshot().overdueShutdownPaths() == ["root/camera:cam-1/capture"])
            probe.release("capture")
        }
        try result.get()
        #expect(await events.next(3) == ["capture#1 ignored_cancellation", "capture#1 cancelled", "publisher#1 cancelled"])
    }
}
