/// Exponential backoff with full jitter, for reconnects and for the very first connect.
///
/// The n-th delay (n from 0) is drawn uniformly from `[base·2ⁿ / 2, base·2ⁿ]`, capped at `maximum`.
/// A pure value: the caller sleeps, on whatever clock it uses, and calls ``reset()`` after a
/// connection that worked.
public struct ReconnectBackoff: Sendable {
    /// The first delay's upper bound.
    public var base: Duration
    /// The largest delay.
    public var maximum: Duration
    /// Failed attempts since the last ``reset()``.
    public private(set) var attempts: Int = 0
    private var random: any RandomNumberGenerator & Sendable

    /// Creates a backoff; `random` may be seeded in tests.
    public init(base: Duration = .milliseconds(250), maximum: Duration = .seconds(30),
                random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        self.base = base
        self.maximum = maximum
        self.random = random
    }

    /// The delay before the next attempt; counts one more failed attempt.
    public mutating func nextDelay() -> Duration {
        let exponent = min(attempts, 30)
        attempts += 1
        let ceiling = min(base * (1 << exponent), maximum)
        let ceilingNanos = max(ceiling.nanoseconds, 1)
        let nanos = Int64.random(in: (ceilingNanos / 2)...ceilingNanos, using: &random)
        return .nanoseconds(nanos)
    }

    /// Starts again from `base`, after a connection that worked.
    public mutating func reset() { attempts = 0 }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : product &+ attoseconds / 1_000_000_000
    }

    /// The duration in milliseconds, for C timeouts.
    var milliseconds: Int { Int(nanoseconds / 1_000_000) }
}
