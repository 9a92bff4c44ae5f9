import DequeModule
import Synchronization

/// Tasks suspended until a change of a state kept in a ``Locked`` value, oldest first: the one
/// wait-and-wake mechanism of edge-video. Every place where a task waits for another task or thread
/// keeps a `Waiters` in its locked state, suspends through ``Locked/wait(in:as:unless:registered:then:)``
/// (or its cancellation-ignoring twin), and wakes waiters by removing them under the lock and
/// resuming them once the lock is released.
///
/// A waiter leaves the queue exactly once: through a removal here (whoever removes it resumes it)
/// or through its task's cancellation, which ``Locked`` handles in one place. So a continuation is
/// never resumed twice, and a cancelled wait never leaves a waiter behind.
///
/// Each waiter carries a `Payload` that its wakers read: what it waits for (a condition, a
/// predicate) or what it brings (a message waiting for room).
///
/// Thread-safety: a value type; keep it in a ``Locked`` state and touch it only under that lock.
public struct Waiters<Payload: Sendable, Success: Sendable> {
    /// One suspended task.
    public struct Waiter: Sendable {
        /// What the task waits for, or brings.
        public let payload: Payload
        @usableFromInline let id: UInt64
        @usableFromInline let continuation: UnsafeContinuation<Success, any Error>

        @inlinable
        init(payload: Payload, id: UInt64, continuation: UnsafeContinuation<Success, any Error>) {
            self.payload = payload
            self.id = id
            self.continuation = continuation
        }

        /// Ends the wait with `value`. Call it once the lock is released.
        @inlinable
        public func resume(returning value: sending Success) { continuation.resume(returning: value) }

        /// Ends the wait by throwing `error`. Call it once the lock is released.
        @inlinable
        public func resume(throwing error: any Error) { continuation.resume(throwing: error) }
    }

    /// The longest-waiting task, kept inline: most owners never have more than one waiter (a
    /// supervisor's inbox, a child's slot, a queue's consumer), and a lone waiter then costs no
    /// allocation. When it is `nil`, `rest` is empty.
    @usableFromInline var head: Waiter?
    /// The others, oldest first.
    @usableFromInline var rest = Deque<Waiter>()

    /// No task waiting.
    @inlinable
    public init() {}

    /// Whether no task waits.
    @inlinable
    public var isEmpty: Bool { head == nil }

    /// How many tasks wait.
    @inlinable
    public var count: Int { head == nil ? 0 : 1 + rest.count }

    /// The longest-waiting task, left in place.
    @inlinable
    public var first: Waiter? { head }

    /// Every waiting task's payload, oldest first.
    @inlinable
    public var payloads: [Payload] {
        guard let head else { return [] }
        return [head.payload] + rest.map(\.payload)
    }

    /// Removes the longest-waiting task, for the caller to resume.
    @inlinable
    public mutating func removeFirst() -> Waiter? {
        guard let first = head else { return nil }
        head = rest.popFirst()
        return first
    }

    /// Removes every waiting task, oldest first, for the caller to resume.
    @inlinable
    public mutating func removeAll() -> [Waiter] {
        guard let first = head else { return [] }
        defer {
            head = nil
            rest.removeAll()
        }
        return [first] + rest
    }

    /// Removes the tasks whose payload satisfies `isReady`, oldest first, for the caller to resume.
    @inlinable
    public mutating func removeAll(where isReady: (Payload) -> Bool) -> [Waiter] {
        guard let first = head else { return [] }
        if rest.isEmpty {
            guard isReady(first.payload) else { return [] }
            head = nil
            return [first]
        }
        var ready: [Waiter] = []
        var waiting = Deque<Waiter>()
        for waiter in [first] + rest {
            if isReady(waiter.payload) { ready.append(waiter) } else { waiting.append(waiter) }
        }
        guard !ready.isEmpty else { return [] }
        head = waiting.popFirst()
        rest = waiting
        return ready
    }

    @inlinable
    mutating func append(_ waiter: Waiter) {
        if head == nil { head = waiter } else { rest.append(waiter) }
    }

    /// Removes the waiter `id` if it still waits (a cancelled task's).
    @inlinable
    mutating func remove(id: UInt64) -> Waiter? {
        if head?.id == id { return removeFirst() }
        // A cancelled waiter is most often the newest: search from the back.
        guard let index = rest.lastIndex(where: { $0.id == id }) else { return nil }
        return rest.remove(at: index)
    }
}

extension Waiters.Waiter where Success == Void {
    /// Ends the wait. Call it once the lock is released.
    @inlinable
    public func resume() { continuation.resume(returning: ()) }
}

/// Identifies waiters across every `Waiters` queue, so that a cancellation handler finds its own.
@usableFromInline let waiterIDs = Atomic<UInt64>(0)

@inlinable
func nextWaiterID() -> UInt64 { waiterIDs.add(1, ordering: .relaxed).newValue }

extension Locked {
    /// Suspends the calling task in the ``Waiters`` at `waiters` until a holder of the lock removes
    /// and resumes it, unless `ready` answers first; handles the task's cancellation.
    ///
    /// Under the lock, in one critical section: `ready` runs first and may end the wait at once
    /// with a result or an error. When it returns `nil`, the task joins the queue with `payload`
    /// (unless it is already cancelled), and `registered` runs, to admit or wake whoever will
    /// resume it. `afterUnlocking` runs once the lock is released, whether the task waits or not:
    /// resume there the waiters that `registered` removed.
    ///
    /// - Throws: the error `ready` answers or the waker resumes with; `CancellationError` when the
    ///   task is cancelled before it is resumed (the waiter is then removed, nothing else changes).
    @inlinable
    public func wait<Payload, Success>(
        in waiters: WritableKeyPath<Value, Waiters<Payload, Success>> & Sendable,
        as payload: Payload,
        unless ready: (inout Value) -> Result<Success, any Error>? = { _ in nil },
        registered: (inout Value) -> Void = { _ in },
        then afterUnlocking: () -> Void = {}
    ) async throws -> Success {
        let id = nextWaiterID()
        return try await withTaskCancellationHandler {
            try await suspend(in: waiters, id: id, payload: payload, cancellable: true, ready: ready, registered: registered, afterUnlocking: afterUnlocking)
        } onCancel: {
            withLock { $0[keyPath: waiters].remove(id: id) }?.resume(throwing: CancellationError())
        }
    }

    /// Suspends the calling task as ``wait(in:as:unless:registered:then:)`` does, but the task's
    /// cancellation does not end the wait: it calls `onCancel` instead (once), which brings the
    /// end about through the owner's own change. For a wait whose end the caller's cancellation
    /// must not cut short: a supervisor that still collects its children's exits, a slot that turns
    /// its cancellation into a stop request, a connection attempt that a cancellation closes.
    ///
    /// It throws only `Failure`: `Never` makes it a wait that cannot fail. A waker must not resume
    /// such a waiter with another error.
    @inlinable
    public func waitIgnoringCancellation<Payload, Success, Failure: Error>(
        in waiters: WritableKeyPath<Value, Waiters<Payload, Success>> & Sendable,
        as payload: Payload,
        unless ready: (inout Value) -> Result<Success, Failure>?,
        registered: (inout Value) -> Void = { _ in },
        then afterUnlocking: () -> Void = {},
        onCancel: @Sendable () -> Void
    ) async throws(Failure) -> Success {
        do {
            return try await withTaskCancellationHandler {
                try await suspend(
                    in: waiters, id: nextWaiterID(), payload: payload, cancellable: false,
                    ready: { ready(&$0)?.mapError { $0 as any Error } }, registered: registered, afterUnlocking: afterUnlocking
                )
            } onCancel: {
                onCancel()
            }
        } catch let error as Failure {
            throw error
        } catch {
            preconditionFailure("a wait that fails only with \(Failure.self) was resumed with \(error)")
        }
    }

    @inlinable
    func suspend<Payload, Success>(
        in waiters: WritableKeyPath<Value, Waiters<Payload, Success>> & Sendable,
        id: UInt64,
        payload: Payload,
        cancellable: Bool,
        ready: (inout Value) -> Result<Success, any Error>?,
        registered: (inout Value) -> Void,
        afterUnlocking: () -> Void
    ) async throws -> Success {
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Success, any Error>) in
            let answer: Result<Success, any Error>? = withLock { state in
                if let answer = ready(&state) { return answer }
                // The cancellation handler may have run already, before there was a waiter to remove.
                if cancellable, Task.isCancelled { return .failure(CancellationError()) }
                state[keyPath: waiters].append(Waiters.Waiter(payload: payload, id: id, continuation: continuation))
                registered(&state)
                return nil
            }
            afterUnlocking()
            if let answer { continuation.resume(with: answer) }
        }
    }
}
