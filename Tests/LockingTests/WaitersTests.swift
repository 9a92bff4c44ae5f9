import Foundation
import Locking
import Supervision
import Testing

/// An owner of the kind every waiting place in Sources is: a locked state with a queue of waiters.
private final class Mailbox: Sendable {
    struct State {
        var letters: [Int] = []
        /// Each waiter's payload is the name its task gave.
        var waiters = Waiters<Int, Int>()
        var registrations = 0
    }

    let state = Locked(State())

    /// A letter, or a wait for the next one to be posted.
    func take(as name: Int = 0, registered: @Sendable () -> Void = {}) async throws -> Int {
        var joined = false
        return try await state.wait(
            in: \.waiters, as: name,
            unless: { $0.letters.isEmpty ? nil : .success($0.letters.removeFirst()) },
            registered: { state in
                state.registrations += 1
                joined = true
            },
            then: { if joined { registered() } }
        )
    }

    /// Hands `letter` to the longest-waiting task, else keeps it; returns whether a task took it.
    @discardableResult
    func post(_ letter: Int) -> Bool {
        let waiter = state.withLock { state in
            guard let waiter = state.waiters.removeFirst() else {
                state.letters.append(letter)
                return Waiters<Int, Int>.Waiter?.none
            }
            return waiter
        }
        waiter?.resume(returning: letter)
        return waiter != nil
    }

    /// Hands `letter` to the longest-waiting task; keeps nothing when no task waits.
    func handToWaiter(_ letter: Int) -> Bool {
        guard let waiter = state.withLock({ $0.waiters.removeFirst() }) else { return false }
        waiter.resume(returning: letter)
        return true
    }

    var waiting: [Int] { state.withLock { $0.waiters.payloads } }
}

@Suite("Waiters")
struct WaitersTests {
    @Test(.timeLimit(.minutes(1)))
    func waitersAreResumedOldestFirst() async throws {
        let mailbox = Mailbox()
        var tasks: [Task<Int, any Error>] = []
        for name in 1...5 {
            let (joined, announce) = AsyncStream.makeStream(of: Void.self)
            tasks.append(Task { try await mailbox.take(as: name) { announce.yield() } })
            var events = joined.makeAsyncIterator()
            await events.next()
        }
        #expect(mailbox.waiting == [1, 2, 3, 4, 5])
        for letter in [10, 20, 30, 40, 50] { #expect(mailbox.post(letter)) }
        var received: [Int] = []
        for task in tasks { received.append(try await task.value) }
        #expect(received == [10, 20, 30, 40, 50])
        #expect(mailbox.waiting.isEmpty)
    }

    @Test(.timeLimit(.minutes(1)))
    func anAnswerReadyUnderTheLockNeverJoinsTheQueue() async throws {
        let mailbox = Mailbox()
        mailbox.post(7)
        #expect(try await mailbox.take() == 7)
        #expect(mailbox.state.withLock { $0.registrations } == 0)
        // `ready` may also end the wait with an error.
        struct Closed: Error {}
        let state = Locked(Mailbox.State())
        await #expect(throws: Closed.self) {
            try await state.wait(in: \.waiters, as: 0, unless: { _ in .failure(Closed()) })
        }
        #expect(state.withLock { $0.waiters.isEmpty })
    }

    @Test(.timeLimit(.minutes(1)))
    func aCancelledWaiterLeavesTheQueueAndThrows() async throws {
        let mailbox = Mailbox()
        let (joined, announce) = AsyncStream.makeStream(of: Void.self)
        let waiter = Task { try await mailbox.take(as: 1) { announce.yield() } }
        var events = joined.makeAsyncIterator()
        await events.next()
        #expect(mailbox.waiting == [1])
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(mailbox.waiting.isEmpty)
        // The letter posted after the cancellation is kept, not handed to the cancelled task.
        #expect(!mailbox.post(5))
        // A task cancelled before it waits never joins.
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await mailbox.take(as: 2)
        }
        // The letter is there, and `ready` runs first: it is taken even so (an owner that must not
        // hand anything to a cancelled task checks `Task.isCancelled` in its `ready`, as FrameQueue does).
        #expect(try await cancelled.value == 5)
        let empty = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await mailbox.take(as: 3)
        }
        await #expect(throws: CancellationError.self) { try await empty.value }
        #expect(mailbox.state.withLock { $0.registrations } == 1)
    }

    /// The twin that ignores cancellation: the handler runs once, the task keeps waiting, and the
    /// owner's own change ends the wait.
    @Test(.timeLimit(.minutes(1)))
    func aWaitThatIgnoresCancellationCallsItsHandlerAndGoesOn() async throws {
        let state = Locked(Mailbox.State())
        let (events, continuation) = AsyncStream.makeStream(of: String.self)
        let waiter = Task {
            await state.waitIgnoringCancellation(
                in: \.waiters, as: 1,
                unless: { _ -> Result<Int, Never>? in nil },
                then: { continuation.yield("joined") },
                onCancel: { continuation.yield("cancelled") }
            )
        }
        var iterator = events.makeAsyncIterator()
        #expect(await iterator.next() == "joined")
        waiter.cancel()
        #expect(await iterator.next() == "cancelled")
        #expect(state.withLock { $0.waiters.payloads } == [1])
        state.withLock { $0.waiters.removeFirst() }?.resume(returning: 42)
        #expect(await waiter.value == 42)
    }

    /// 400 tasks wait while a thread hands out 200 letters and the test cancels a random half of
    /// the tasks (seeded, printed): every letter reaches exactly one task, every other task throws
    /// `CancellationError`, and no waiter is left in the queue.
    @Test(.timeLimit(.minutes(1)), arguments: [UInt64(1), 2, 3, UInt64.random(in: 4...UInt64.max)])
    func cancellationsRacingWakeUpsLoseNothingAndLeaveNothing(seed: UInt64) async throws {
        print("Waiters race seed \(seed)")
        var generator = SplitMix64(seed: seed)
        let count = 400, letters = 200
        let mailbox = Mailbox()
        let tasks = (0..<count).map { name in Task { try await mailbox.take(as: name) } }
        let (done, finish) = AsyncStream.makeStream(of: Void.self)
        let poster = Thread {
            for letter in 0..<letters {
                // Only to a task that waits: the 200 tasks never cancelled are enough.
                while !mailbox.handToWaiter(letter) { sched_yield() }
            }
            finish.yield()
        }
        poster.start()
        for name in (0..<count).shuffled(using: &generator).prefix(count / 2) {
            tasks[name].cancel()
            if Bool.random(using: &generator) { await Task.yield() }
        }
        var iterator = done.makeAsyncIterator()
        await iterator.next()
        // Every letter is out: the tasks still waiting were all cancelled above, or never got one.
        for task in tasks { task.cancel() }
        var received: [Int] = []
        var cancellations = 0
        for task in tasks {
            do { received.append(try await task.value) } catch is CancellationError { cancellations += 1 }
        }
        #expect(received.sorted() == Array(0..<letters))
        #expect(cancellations == count - letters)
        #expect(mailbox.waiting.isEmpty)
    }
}
