import SupervisionTestKit
import Testing

@testable import Supervision

@Suite("Shutdown watchdog")
struct ShutdownWatchdogTests {
    /// The watchdog sleeps until the earliest deadline: one armed while it sleeps on a later one
    /// wakes it to sleep until the earlier; a disarmed entry is never reported.
    @Test(.timeLimit(.minutes(1)))
    func reportsEachEntryAtItsDeadlineEvenWhenAnEarlierOneIsArmedDuringTheSleep() async throws {
        let clock = ManualClock()
        let start = clock.now
        let watchdog = ShutdownWatchdog()
        let (reports, report) = AsyncStream.makeStream(of: String.self)
        var reported = reports.makeAsyncIterator()
        let running = Task { await watchdog.run(clock: ClockBox(clock)) { report.yield($0.id) } }
        defer { running.cancel() }

        watchdog.arm(serial: 1, id: "late", deadline: .seconds(10), timeout: .seconds(10))
        await until { clock.deadlines == [start.advanced(by: .seconds(10))] }
        watchdog.arm(serial: 2, id: "early", deadline: .seconds(2), timeout: .seconds(2))
        // Without the wake-up it would keep sleeping until 10 s, and this never holds.
        await until { clock.deadlines == [start.advanced(by: .seconds(2))] }
        clock.advance(by: .seconds(2))
        #expect(await reported.next() == "early")

        // It sleeps on until "late"'s deadline; "late" returns in time, "last" is armed after it.
        await until { clock.deadlines == [start.advanced(by: .seconds(10))] }
        watchdog.disarm(serial: 1)
        watchdog.arm(serial: 3, id: "last", deadline: .seconds(12), timeout: .seconds(10))
        clock.advance(by: .seconds(8))
        await until { clock.deadlines == [start.advanced(by: .seconds(12))] }
        clock.advance(by: .seconds(2))
        #expect(await reported.next() == "last")
    }
}
