import Durations
import Synchronization
import Testing

@Suite struct TimeoutTests {
    @Test func aBodyThatReturnsInTimeGivesItsResult() async {
        #expect(await withTimeout(.seconds(60)) { 42 } == 42)
    }

    @Test func aBodyStillRunningAtTheLimitIsCancelledAndAwaited() async {
        let cancelled = Atomic<Bool>(false)
        let result: Int? = await withTimeout(.milliseconds(10)) {
            // The body waits for an hour unless it is cancelled.
            if (try? await Task.sleep(for: .seconds(3600))) == nil { cancelled.store(true, ordering: .relaxed) }
            return 1
        }
        let seen = cancelled.load(ordering: .relaxed)
        #expect(result == nil)
        #expect(seen, "awaited: its cancellation is seen when withTimeout returns")
    }

    @Test(.timeLimit(.minutes(1))) func cancellingTheCallerEndsTheWaitAtOnce() async {
        let waiting = Task { await withTimeout(.seconds(3600)) { try? await Task.sleep(for: .seconds(3600)) } }
        waiting.cancel()
        let result: Void?? = await waiting.value
        #expect(result.flatMap { $0 } == nil)
    }
}
