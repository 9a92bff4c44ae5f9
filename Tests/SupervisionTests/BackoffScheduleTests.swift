import Supervision
import Testing

/// ``BackoffSchedule`` as a pure value: the waits of something that retries (a broker reconnect)
/// on the same ``Backoff`` rules as a supervisor's restarts.
@Suite("Backoff schedule (pure)")
struct BackoffScheduleTests {
    @Test func spreadBelowGrowsWithJitterUpToTheCapAndResets() {
        let policy = Backoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 2, jitter: 0.5, spread: .below)
        var schedule = BackoffSchedule(policy, seed: 42)
        var delays: [Duration] = []
        for n in 0..<8 {
            let delay = schedule.nextDelay()
            let step = min(Duration.milliseconds(100) * (1 << n), .seconds(2))
            #expect(delay >= step / 2 && delay <= step, "attempt \(n): \(delay)")
            delays.append(delay)
        }
        #expect(Set(delays).count > 1, "jittered")
        #expect(schedule.attempts == 8)
        schedule.reset()
        #expect(schedule.attempts == 0)
        let first = schedule.nextDelay()
        #expect(first >= .milliseconds(50) && first <= .milliseconds(100))
    }

    @Test func spreadBelowCoversItsWholeRange() {
        let policy = Backoff(initial: .seconds(1), maximum: .seconds(1), multiplier: 1, jitter: 0.5, spread: .below)
        var schedule = BackoffSchedule(policy, seed: 7)
        let delays = (0..<1000).map { _ in schedule.nextDelay() }
        #expect(delays.allSatisfy { $0 >= .milliseconds(500) && $0 <= .seconds(1) })
        #expect(delays.min()! < .milliseconds(510) && delays.max()! > .milliseconds(990))
    }

    @Test func theSameSeedReplaysTheSameWaits() {
        let policy = Backoff(initial: .milliseconds(10), maximum: .seconds(5))
        var a = BackoffSchedule(policy, seed: 9)
        var b = BackoffSchedule(policy, seed: 9)
        var c = BackoffSchedule(policy, seed: 10)
        let first = (0..<20).map { _ in a.nextDelay() }
        #expect(first == (0..<20).map { _ in b.nextDelay() })
        #expect(first != (0..<20).map { _ in c.nextDelay() })
    }

    @Test func noneNeverWaits() {
        var schedule = BackoffSchedule(.none, seed: 1)
        #expect((0..<10).allSatisfy { _ in schedule.nextDelay() == .zero })
    }
}
