/// A value behind a lock that tasks can wait on: ``wait(until:)`` suspends until an
/// ``update(_:)`` makes its predicate true. What a task that would poll a state waits on instead.
///
/// An update with nobody waiting costs one lock, as a ``Locked`` value does. Predicates run under
/// the lock, on the updating thread: keep them to a comparison.
///
/// Thread-safety: `Sendable`; updates from any thread, waits from any task.
public final class Watched<Value: Sendable>: Sendable {
    private struct State {
        var value: Value
        /// Each waiter's payload is its predicate.
        var waiters = Waiters<@Sendable (Value) -> Bool, Value>()
    }

    private let state: Locked<State>

    /// Creates a watched `value`.
    public init(_ value: Value) {
        state = Locked(State(value: value))
    }

    /// The value now.
    public var value: Value { state.withLock { $0.value } }

    /// Changes the value with `body`, then resumes every waiter whose predicate the new value
    /// satisfies, with that value. Returns what `body` returns.
    @discardableResult
    public func update<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        let (result, value, satisfied) = state.withLock { state in
            let result = body(&state.value)
            let value = state.value
            return (result, value, state.waiters.removeAll { $0(value) })
        }
        for waiter in satisfied { waiter.resume(returning: value) }
        return result
    }

    /// Suspends until the value satisfies `predicate` (returns at once if it already does), and
    /// returns the value that did.
    /// - Throws: `CancellationError` when the calling task is cancelled first; the wait is then
    ///   forgotten.
    public func wait(until predicate: @escaping @Sendable (Value) -> Bool) async throws -> Value {
        try await state.wait(in: \.waiters, as: predicate) { state in
            predicate(state.value) ? .success(state.value) : nil
        }
    }

    /// Suspends until the value satisfies `predicate`, whether or not the calling task is
    /// cancelled, and returns the value that did: for a wait whose end the caller brings about
    /// itself (a thread it asked to stop), which must not be left half-done.
    public func waitIgnoringCancellation(until predicate: @escaping @Sendable (Value) -> Bool) async -> Value {
        await state.waitIgnoringCancellation(in: \.waiters, as: predicate, unless: { state -> Result<Value, Never>? in
            predicate(state.value) ? .success(state.value) : nil
        }, onCancel: {})
    }

    /// Tasks waiting now.
    public var waiterCount: Int { state.withLock { $0.waiters.count } }
}
