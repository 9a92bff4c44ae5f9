import Durations

/// Which children a supervisor restarts when one of them has to be restarted (OTP's strategies).
public enum RestartStrategy: String, Sendable, Hashable, Codable {
    /// Restart only the child that ended.
    case oneForOne = "one_for_one"
    /// Stop every child (in reverse order) and start a new generation of all of them.
    case oneForAll = "one_for_all"
    /// Stop the children started after the one that ended (reverse order), then restart them in order.
    case restForOne = "rest_for_one"
}

/// At most `maxRestarts` restarts in any sliding `period`; one more and the supervisor gives up.
///
/// The window includes its start: a restart exactly `period` before the current one still counts.
public struct RestartIntensity: Sendable, Hashable {
    /// Restarts allowed in one period; `nil` means unlimited.
    public let maxRestarts: Int?
    /// The sliding window.
    public let period: Duration

    /// Creates a limited intensity.
    ///
    /// - Parameters:
    ///   - maxRestarts: Restarts allowed in `period` (OTP's `intensity`), `>= 0`.
    ///   - period: The window (OTP's `period`).
    public init(maxRestarts: Int, period: Duration) {
        precondition(maxRestarts >= 0, "maxRestarts must be >= 0")
        self.maxRestarts = maxRestarts
        self.period = period
    }

    private init(unlimitedPeriod period: Duration) {
        self.maxRestarts = nil
        self.period = period
    }

    /// Restart forever (pair it with a ``Backoff``): such a subtree never escalates.
    public static let unlimited = RestartIntensity(unlimitedPeriod: .seconds(5))
}

/// Exponential backoff with jitter: between a supervisor's restarts, and wherever else something
/// waits before trying again (``BackoffSchedule`` counts the attempts).
///
/// The n-th consecutive delay (counting from 0) is `initial * multiplier^n`, capped at `maximum`,
/// then spread by the jitter: ``Spread/around`` it by `±jitter` (a fraction, capped at `maximum`
/// again), or ``Spread/below`` it, down to `(1 - jitter)` of it. A supervisor's restart that comes
/// `resetAfter` or more after the previous one completed starts again from `initial`.
public struct Backoff: Sendable, Hashable {
    /// How the jitter spreads a delay.
    public enum Spread: Sendable, Hashable {
        /// Evenly around it: `delay * (1 ± jitter)`, capped at `maximum`.
        case around
        /// Only below it: from `delay * (1 - jitter)` to `delay`, so no wait exceeds its step.
        case below
    }

    /// The first delay.
    public let initial: Duration
    /// The largest delay.
    public let maximum: Duration
    /// Growth factor per consecutive restart, `>= 1`.
    public let multiplier: Double
    /// Relative spread in `0...1`: `0.2` means ±20 % (``Spread/around``) or -20 % (``Spread/below``).
    public let jitter: Double
    /// Which way the jitter spreads.
    public let spread: Spread
    /// Quiet time after which a supervisor's sequence starts from `initial` again.
    public let resetAfter: Duration

    /// Creates a backoff policy.
    public init(
        initial: Duration, maximum: Duration, multiplier: Double = 2, jitter: Double = 0.2,
        spread: Spread = .around, resetAfter: Duration = .seconds(60)
    ) {
        precondition(multiplier >= 1 && (0...1).contains(jitter), "multiplier >= 1, jitter in 0...1")
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.multiplier = multiplier
        self.jitter = jitter
        self.spread = spread
        self.resetAfter = resetAfter
    }

    /// No delay at all (OTP's behaviour).
    public static let none = Backoff(initial: .zero, maximum: .zero, multiplier: 1, jitter: 0, resetAfter: .zero)

    /// 100 ms doubling up to 30 s, ±20 %, reset after a quiet minute.
    public static let standard = Backoff(initial: .milliseconds(100), maximum: .seconds(30))

    /// The delay before consecutive attempt number `attempt`, given a uniform `unit` in `0..<1`.
    public func delay(attempt: Int, unit: Double) -> Duration {
        if initial == .zero { return .zero }
        let base = min(initial.seconds * pow(multiplier, Double(min(attempt, 64))), maximum.seconds)
        switch spread {
        case .around:
            return Duration(secondsSaturating: min(base * (1 + jitter * (2 * unit - 1)), maximum.seconds))
        case .below:
            return Duration(secondsSaturating: base * (1 - jitter * unit))
        }
    }
}

private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    for _ in 0..<Int(exponent) { result *= base }
    return result
}
