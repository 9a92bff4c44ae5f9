/// A value behind a lock that tasks can wait on: ``wait(until:)`` suspends until an
/// ``update(_:)`` makes its predicate true. What a task that would poll a state waits on instead.
///
/// An update with nobody waiting costs one lock, as a ``Locked`` value does. Predicates run under
/// the lock, on the updating thread: keep them to a comparison.
///
/// Thread-safety: `Sendable`; updates from any thread, waits from any task.
public final class Watched<Value: Sendable>: Sendable {
    private struct Waiter {
        let id: UInt64
        let predicate: @Sendable (Value) -> Bool
        let continuation: CheckedContinuation<Value, any Error>
    }

    private struct State {
        var value: Value
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0

        /// Removes the waiters `value` satisfies and returns them with the value, for resuming
        /// once the lock is released; `nil` (and no copy of the value) when none is satisfied.
        mutating func takeSatisfied() -> (waiters: [Waiter], value: Value)? {
            guard !waiters.isEmpty else { return nil }
            let value = value
            var satisfied: [Waiter] = []
            waiters.removeAll { waiter in
                guard waiter.predicate(value) else { return false }
                satisfied.append(waiter)
                return true
            }
            return satisfied.isEmpty ? nil : (satisfied, value)
        }
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
        let (result, satisfied) = state.withLock { state in
            let result = body(&state.value)
            return (result, state.takeSatisfied())
        }
        if let (waiters, value) = satisfied {
            for waiter in waiters { waiter.continuation.resume(returning: value) }
        }
        return result
    }

    /// Suspends until the value satisfies `predicate` (returns at once if it already does), and
    /// returns the value that did.
    /// - Throws: `CancellationError` when the calling task is cancelled first; the wait is then
    ///   forgotten.
    public func wait(until predicate: @escaping @Sendable (Value) -> Bool) async throws -> Value {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let outcome: Result<Value?, CancellationError> = state.withLock { state in
                    if predicate(state.value) { return .success(state.value) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters.append(Waiter(id: id, predicate: predicate, continuation: continuation))
                    return .success(nil)
                }
                switch outcome {
                case .success(let value?): continuation.resume(returning: value)
                case .success(nil): break
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Suspends until the value satisfies `predicate`, whether or not the calling task is
    /// cancelled, and returns the value that did: for a wait whose end the caller brings about
    /// itself (a thread it asked to stop), which must not be left half-done.
    public func waitIgnoringCancellation(until predicate: @escaping @Sendable (Value) -> Bool) async -> Value {
        let value: Value? = try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            let ready: Value? = state.withLock { state in
                if predicate(state.value) { return state.value }
                state.nextID += 1
                state.waiters.append(Waiter(id: state.nextID, predicate: predicate, continuation: continuation))
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        // Only `wait(until:)`'s cancellation throws, and it never removes this waiter.
        return value!
    }

    /// Tasks waiting now.
    public var waiterCount: Int { state.withLock { $0.waiters.count } }
}
