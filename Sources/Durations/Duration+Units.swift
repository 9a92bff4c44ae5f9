/// The one place that turns a `Duration` into plain numbers (for C timeouts, JSON and logs) and
/// back; every conversion saturates instead of trapping.
extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The duration in whole nanoseconds, saturating at the bounds of `Int64`.
    public var nanoseconds: Int64 { whole(per: 1_000_000_000) }

    /// The duration in whole microseconds, saturating at the bounds of `Int64`.
    public var microseconds: Int64 { whole(per: 1_000_000) }

    /// The duration in whole milliseconds, saturating at the bounds of `Int64`.
    public var milliseconds: Int64 { whole(per: 1_000) }

    /// `seconds` to the nearest nanosecond, saturating at ±1e9 s (about 31 years); NaN is zero.
    public init(secondsSaturating seconds: Double) {
        guard !seconds.isNaN else {
            self = .zero
            return
        }
        self = .nanoseconds(Int64((min(max(seconds, -1e9), 1e9) * 1e9).rounded()))
    }

    /// Whole units of `1 / unitsPerSecond` s, truncated toward zero, saturating.
    private func whole(per unitsPerSecond: Int64) -> Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: unitsPerSecond)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = product.addingReportingOverflow(attoseconds / (1_000_000_000_000_000_000 / unitsPerSecond))
        return sumOverflow ? (seconds < 0 ? .min : .max) : sum
    }
}
