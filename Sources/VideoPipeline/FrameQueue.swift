import Foundation
import Locking

/// A bounded queue between two pipeline stages that drops its oldest element when full: when it
/// holds more than ``capacity`` elements or, if it has a ``byteLimit``, more than that many bytes
/// (as its `cost` function counts them; the newest element is always kept, however large).
///
/// Create one per camera and hand the same instance to every generation of the stages, so
/// frames queued when a subtree restarts are handed to the next generation instead of lost.
/// `push` is synchronous (callable from a capture thread); ``next()`` suspends until an element
/// arrives and honours task cancellation; ``tryNext()`` never waits. Thread-safe. (Tests, through
/// `@testable import`, also wait until it reaches a `Milestone` with `wait(until:)`.)
package final class FrameQueue<Element: Sendable>: Sendable {
    /// A state of the queue that ``wait(until:)`` waits for. Both only grow through `push`.
    enum Milestone: Sendable, Equatable {
        /// At least this many elements dropped since the queue was created (``dropped``).
        case dropped(atLeast: Int)
        /// At least this many elements held at once (``count``).
        case holding(atLeast: Int)
    }

    private struct State {
        var buffer: [Element?] = []
        var head = 0
        /// Consumers in ``next()``, waiting for an element.
        var waiters = Waiters<Void, Element>()
        /// Tasks in ``wait(until:)``, each with its milestone; `push` only looks further when this
        /// is not empty.
        var watchers = Waiters<Milestone, Void>()
        var dropped = 0
        /// The cost of the elements held (0 without a byte limit).
        var bytes = 0
        let cost: (@Sendable (Element) -> Int)?

        var count: Int { buffer.count - head }

        func reached(_ milestone: Milestone) -> Bool {
            Self.reached(milestone, dropped: dropped, count: count)
        }

        static func reached(_ milestone: Milestone, dropped: Int, count: Int) -> Bool {
            switch milestone {
            case .dropped(let atLeast): dropped >= atLeast
            case .holding(let atLeast): count >= atLeast
            }
        }

        /// Removes and returns the watchers whose milestone is reached.
        mutating func takeReachedWatchers() -> [Waiters<Milestone, Void>.Waiter] {
            let (dropped, count) = (dropped, count)
            return watchers.removeAll { Self.reached($0, dropped: dropped, count: count) }
        }

        mutating func popFirst() -> Element? {
            guard head < buffer.count else { return nil }
            let element = buffer[head]
            buffer[head] = nil
            if let cost, let element { bytes -= cost(element) }
            head += 1
            if head > 32, head * 2 > buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            return element
        }
    }

    /// The most elements held at once.
    package let capacity: Int
    /// The most bytes held at once (beyond the newest element), or `nil` for no byte bound.
    package let byteLimit: Int?
    private let state: Locked<State>
    /// Wakes a producer waiting for room (only used with unpaced sources).
    private let space = Condition()

    /// Creates an empty queue holding at most `capacity` (at least 1) elements.
    package init(capacity: Int) {
        self.capacity = max(1, capacity)
        self.byteLimit = nil
        self.state = Locked(State(cost: nil))
    }

    /// Creates an empty queue holding at most `capacity` (at least 1) elements and at most
    /// `byteLimit` bytes as `cost` counts them; the newest element is kept even if it alone is
    /// larger. Decoded pictures are large and pin the decoder's buffers while queued: this bounds
    /// the memory they hold whatever the source's resolution.
    package init(capacity: Int, byteLimit: Int, cost: @escaping @Sendable (Element) -> Int) {
        self.capacity = max(1, capacity)
        self.byteLimit = max(0, byteLimit)
        self.state = Locked(State(cost: cost))
    }

    /// Appends `element`, handing it straight to a waiting consumer if there is one.
    /// - Returns: the elements dropped to make room, oldest first (empty if none).
    @discardableResult
    package func push(_ element: Element) -> [Element] {
        typealias Woken = (Waiters<Void, Element>.Waiter?, [Element], [Waiters<Milestone, Void>.Waiter])
        let (waiter, dropped, watchers): Woken = state.withLock { s in
            if let waiter = s.waiters.removeFirst() { return (waiter, [], []) }
            s.buffer.append(element)
            if let cost = s.cost { s.bytes += cost(element) }
            var dropped: [Element] = []
            while s.count > capacity || (s.count > 1 && s.bytes > byteLimit ?? .max) {
                guard let oldest = s.popFirst() else { break }
                s.dropped += 1
                dropped.append(oldest)
            }
            // Nobody watching (always, in the service): no further work on the hot path.
            return (nil, dropped, s.watchers.isEmpty ? [] : s.takeReachedWatchers())
        }
        waiter?.resume(returning: element)
        for watcher in watchers { watcher.resume() }
        return dropped
    }

    /// Suspends until the queue reaches `milestone` (at once if it already has).
    ///
    /// Lets a test wait on the queue's own event instead of polling ``dropped`` or ``count``.
    /// Costs `push` nothing while no task waits.
    /// - Throws: `CancellationError` when the calling task is cancelled before the milestone.
    func wait(until milestone: Milestone) async throws {
        try await wait(until: milestone, onWaiting: {})
    }

    /// ``wait(until:)``, calling `onWaiting` once the caller is registered and about to suspend
    /// (not if the milestone was already reached): lets a test push only once the caller waits.
    func wait(until milestone: Milestone, onWaiting: @Sendable () -> Void) async throws {
        var waiting = false
        try await state.wait(
            in: \.watchers, as: milestone,
            unless: { $0.reached(milestone) ? .success(()) : nil },
            registered: { _ in waiting = true },
            then: { if waiting { onWaiting() } }
        )
    }

    /// Removes and returns the oldest element, suspending until one arrives.
    /// - Throws: `CancellationError` when the calling task is cancelled (before or while
    ///   waiting); no element is taken then.
    package func next() async throws -> Element {
        let element = try await state.wait(in: \.waiters, as: ()) { s in
            // Cancelled callers take nothing: the element stays for the next generation.
            if Task.isCancelled { return .failure(CancellationError()) }
            return s.popFirst().map { .success($0) }
        }
        signalSpace()
        return element
    }

    /// Removes and returns the oldest element without waiting, or `nil` if the queue is empty.
    ///
    /// Ignores task cancellation: a stage that is being stopped uses it to drain what is already
    /// queued (at most ``capacity`` elements, if nothing is pushed meanwhile).
    package func tryNext() -> Element? {
        let element = state.withLock { $0.popFirst() }
        if element != nil { signalSpace() }
        return element
    }

    private func signalSpace() {
        space.lock()
        space.broadcast()
        space.unlock()
    }

    /// Elements waiting now.
    package var count: Int { state.withLock { $0.count } }

    /// Elements dropped because the queue was full, since it was created.
    package var dropped: Int { state.withLock { $0.dropped } }

    /// Tasks waiting in ``wait(until:)`` now.
    var watcherCount: Int { state.withLock { $0.watchers.count } }

    /// Blocks the calling (dedicated, non-pool) thread while the queue is full, until a consumer
    /// takes an element or `stop()` returns true. Used by unpaced sources so that a benchmark
    /// never drops a frame.
    ///
    /// No timeout: whoever makes `stop()` true calls ``wakeProducers()`` afterwards (a
    /// ``CaptureControl`` made with this queue does on every stop request). `stop()` is read with
    /// the wake-up's lock held, so a stop between the check and the sleep is not missed; it must
    /// not call ``wakeProducers()`` itself.
    func waitForRoom(stop: () -> Bool) {
        space.lock()
        defer { space.unlock() }
        while count >= capacity, !stop() { space.wait() }
    }

    /// Wakes a producer in ``waitForRoom(stop:)`` to read its `stop()` again.
    func wakeProducers() { signalSpace() }
}
