/// A ``Backoff`` in progress: counts the consecutive attempts and draws their jitter from a
/// seeded generator, so a schedule replays exactly. A pure value: the caller sleeps, on whatever
/// clock it uses, and calls ``reset()`` when the thing it retries worked (a supervisor resets it
/// after ``Backoff/resetAfter`` of quiet).
public struct BackoffSchedule: Sendable {
    /// The policy.
    public let backoff: Backoff
    /// Delays handed out since the last ``reset()``.
    public private(set) var attempts = 0
    private var random: SplitMix64

    /// Creates a schedule at its first attempt.
    /// - Parameters:
    ///   - backoff: The policy.
    ///   - seed: Seeds the jitter; random when `nil`.
    public init(_ backoff: Backoff, seed: UInt64? = nil) {
        self.backoff = backoff
        random = SplitMix64(seed: seed ?? UInt64.random(in: .min ... .max))
    }

    /// The delay before the next attempt; counts one more attempt.
    public mutating func nextDelay() -> Duration {
        let delay = backoff.delay(attempt: attempts, unit: random.nextUnit())
        attempts += 1
        return delay
    }

    /// Starts again from ``Backoff/initial`` (the jitter draws go on).
    public mutating func reset() { attempts = 0 }
}

/// A tiny seeded generator (SplitMix64): the jitter of a ``BackoffSchedule``, and of anything a
/// test of the package wants to replay from its seed. Not part of the library's API.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator; the same seed gives the same sequence.
    package init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform `Double` in `0..<1`.
    package mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}
