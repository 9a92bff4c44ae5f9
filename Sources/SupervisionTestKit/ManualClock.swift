import Locking

/// A clock that only moves when a test advances it; sleepers resume in deadline order.
///
/// Thread-safety: every method may be called from any task.
public final class ManualClock: Clock, Sendable {
    /// A point on the manual time line: an offset from the clock's zero.
    public struct Instant: InstantProtocol, Sendable, Hashable, Comparable {
        /// Time since zero.
        public var offset: Duration

        /// Creates an instant at `offset` from zero.
        public init(offset: Duration) {
            self.offset = offset
        }

        /// This instant moved by `duration`.
        public func advanced(by duration: Duration) -> Instant {
            Instant(offset: offset + duration)
        }

        /// The time from this instant to `other`.
        public func duration(to other: Instant) -> Duration {
            other.offset - offset
        }

        /// Orders instants by offset.
        public static func < (lhs: Instant, rhs: Instant) -> Bool {
            lhs.offset < rhs.offset
        }
    }

    private struct State {
        var now = Instant(offset: .zero)
        /// Sleeping tasks, each with its deadline, in the order they went to sleep.
        var sleepers = Waiters<Instant, Void>()
        /// Tasks in ``waitForSleepers(count:)``, each with its count.
        var countWaiters = Waiters<Int, Void>()
    }

    private let state = Locked(State())

    /// Creates a clock at zero.
    public init() {}

    /// The current instant.
    public var now: Instant {
        state.withLock { $0.now }
    }

    /// Zero: the clock has no resolution limit.
    public var minimumResolution: Duration {
        .zero
    }

    /// The number of tasks sleeping on this clock.
    public var sleeperCount: Int {
        state.withLock { $0.sleepers.count }
    }

    /// The deadlines of the tasks sleeping on this clock, earliest first.
    public var deadlines: [Instant] {
        state.withLock { $0.sleepers.payloads.sorted() }
    }

    /// Suspends until the clock has been advanced to `deadline`.
    ///
    /// - Throws: `CancellationError` if the task is cancelled first.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        var counted: [Waiters<Int, Void>.Waiter] = []
        try await state.wait(
            in: \.sleepers, as: deadline,
            unless: { state in
                if Task.isCancelled { return .failure(CancellationError()) }
                return deadline <= state.now ? .success(()) : nil
            },
            registered: { state in
                let count = state.sleepers.count
                counted = state.countWaiters.removeAll { $0 <= count }
            },
            then: { for waiter in counted { waiter.resume() } }
        )
    }

    /// Moves the clock forward by `duration` and resumes every sleeper whose deadline has come,
    /// earliest deadline first.
    public func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            // By deadline; equal deadlines in the order their tasks went to sleep.
            return state.sleepers.removeAll { $0 <= now }.enumerated()
                .sorted { ($0.element.payload, $0.offset) < ($1.element.payload, $1.offset) }
                .map(\.element)
        }
        for sleeper in due { sleeper.resume() }
    }

    /// Advances the clock to the earliest pending deadline, if any; returns whether it did.
    @discardableResult
    public func advanceToNextDeadline() -> Bool {
        let next = state.withLock { state in state.sleepers.payloads.min().map { state.now.duration(to: $0) } }
        guard let next else { return false }
        advance(by: next)
        return true
    }

    /// Waits until at least `count` tasks are sleeping on this clock (event-driven, no polling).
    public func waitForSleepers(count: Int) async {
        await state.waitIgnoringCancellation(in: \.countWaiters, as: count, unless: { state -> Result<Void, Never>? in
            state.sleepers.count >= count ? .success(()) : nil
        }, onCancel: {})
    }
}
