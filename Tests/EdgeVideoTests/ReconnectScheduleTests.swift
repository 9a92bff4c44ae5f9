import AMQPPublisher
import Testing

@testable import EdgeVideo

/// The publisher's reconnect waits, as a pure schedule: after any number of outages a camera is
/// back within `retryMaximum` of the broker accepting, and many cameras spread their attempts.
@Suite struct ReconnectScheduleTests {
    /// A seeded generator, so every schedule replays exactly.
    struct SplitMix: RandomNumberGenerator, Sendable {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// When each of `cameras` attempts its first connect at or after `down` seconds, having lost its
    /// connection at 0 (attempts fail while the broker is away).
    static func firstAttempts(cameras: Int, down: Double, seed: UInt64) -> [Double] {
        (0..<cameras).map { camera in
            var backoff = ReconnectBackoff(
                base: FramePublisher.retryBase, maximum: FramePublisher.retryMaximum,
                random: SplitMix(state: seed &+ UInt64(camera) &* 7919))
            var t = 0.0
            repeat {
                let (s, atto) = backoff.nextDelay().components
                t += Double(s) + Double(atto) / 1e18
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
            let maximum = Double(FramePublisher.retryMaximum.components.seconds)
                + Double(FramePublisher.retryMaximum.components.attoseconds) / 1e18
            // However long the outage was, nobody waits more than one maximum delay after it.
            #expect(attempts.allSatisfy { $0 - down <= maximum + 1e-9 }, "down \(down): \(attempts.map { $0 - down }.max()!)")
            // Not all in the same 100 ms.
            let sorted = attempts.sorted()
            let crowd = sorted.indices.map { i in sorted[i...].prefix { $0 < sorted[i] + 0.1 }.count }.max()!
            #expect(crowd <= crowdLimit, "down \(down), seed \(seed): \(crowd) of 50 attempts within 100 ms")
        }
    }
}
