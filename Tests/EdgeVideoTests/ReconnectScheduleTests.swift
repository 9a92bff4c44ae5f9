import Durations
import Supervision
import Testing

@testable import EdgeVideo

/// The publisher's reconnect waits, as a pure schedule: after any number of outages a camera is
/// back within `retryMaximum` of the broker accepting, and many cameras spread their attempts.
@Suite struct ReconnectScheduleTests {
    /// When each of `cameras` attempts its first connect at or after `down` seconds, having lost its
    /// connection at 0 (attempts fail while the broker is away).
    static func firstAttempts(cameras: Int, down: Double, seed: UInt64) -> [Double] {
        (0..<cameras).map { camera in
            // Seeded, so every schedule replays exactly.
            var backoff = BackoffSchedule(FramePublisher.retryBackoff, seed: seed &+ UInt64(camera) &* 7919)
            var t = 0.0
            repeat {
                t += backoff.nextDelay().seconds
            } while t < down
            return t
        }
    }

    /// (seconds the broker was away, most of 50 cameras allowed in one 100 ms window). 0 is a forced
    /// close of a healthy broker: the first wait after a connection that worked, 0.2-0.4 s. A
    /// restarted broker (away 2 s and more) sees the cameras spread over 0.6 s.
    @Test(arguments: [(0.0, 45), (2.0, 20), (8.0, 20), (45.0, 20), (600.0, 20)])
    func fiftyCamerasReconnectWithinTheMaximumAndSpreadOut(down: Double, crowdLimit: Int) {
        for seed in UInt64(1)...20 {
            let attempts = Self.firstAttempts(cameras: 50, down: down, seed: seed)
            let maximum = FramePublisher.retryMaximum.seconds
            // However long the outage was, nobody waits more than one maximum delay after it.
            #expect(attempts.allSatisfy { $0 - down <= maximum + 1e-9 }, "down \(down): \(attempts.map { $0 - down }.max()!)")
            // Not all in the same 100 ms.
            let sorted = attempts.sorted()
            let crowd = sorted.indices.map { i in sorted[i...].prefix { $0 < sorted[i] + 0.1 }.count }.max()!
            #expect(crowd <= crowdLimit, "down \(down), seed \(seed): \(crowd) of 50 attempts within 100 ms")
        }
    }

    /// Each wait stays within its step: 200-400 ms first (after a connection that worked), then
    /// 400-800 ms, then 600-1200 ms for as long as the broker stays away.
    @Test func eachWaitStaysWithinItsStep() {
        let steps: [ClosedRange<Duration>] = [
            .milliseconds(200)...(.milliseconds(400)), .milliseconds(400)...(.milliseconds(800)),
        ] + Array(repeating: .milliseconds(600)...(.milliseconds(1200)), count: 10)
        for seed in UInt64(1)...200 {
            var backoff = BackoffSchedule(FramePublisher.retryBackoff, seed: seed)
            for (n, step) in steps.enumerated() {
                let wait = backoff.nextDelay()
                #expect(step.contains(wait), "seed \(seed), wait \(n): \(wait)")
            }
            backoff.reset()
            #expect(steps[0].contains(backoff.nextDelay()), "after a connection that worked")
        }
    }
}
