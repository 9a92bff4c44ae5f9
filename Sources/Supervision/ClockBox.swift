/// A type-erased `Clock<Duration>` that speaks in durations since the moment it was boxed, so the
/// supervisor and its state machine are not generic over the clock.
struct ClockBox: Sendable {
    /// Time since the box was made.
    let now: @Sendable () -> Duration
    /// Sleeps until `now()` reaches the given offset; throws `CancellationError` when cancelled.
    let sleepUntil: @Sendable (Duration) async throws -> Void

    init(_ clock: any Clock<Duration>) {
        self = Self.make(clock)
    }

    private init(now: @escaping @Sendable () -> Duration, sleepUntil: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleepUntil = sleepUntil
    }

    private static func make<C: Clock<Duration>>(_ clock: C) -> ClockBox {
        let origin = clock.now
        return ClockBox(
            now: { origin.duration(to: clock.now) },
            sleepUntil: { try await clock.sleep(until: origin.advanced(by: $0), tolerance: nil) }
        )
    }
}
