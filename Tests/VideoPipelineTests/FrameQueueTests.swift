import Foundation
import Testing
@testable import VideoPipeline

@Suite("FrameQueue")
struct FrameQueueTests {
    @Test(.timeLimit(.minutes(1)))
    func deliversInOrderAndDropsOldestWhenFull() async throws {
        let queue = FrameQueue<Int>(capacity: 3)
        for i in 1...5 { queue.push(i) }
        #expect(queue.count == 3)
        #expect(queue.dropped == 2)
        #expect(try await queue.next() == 3)
        #expect(try await queue.next() == 4)
        #expect(try await queue.next() == 5)
        #expect(queue.count == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func tryNextTakesWithoutWaitingEvenWhenCancelled() async throws {
        let queue = FrameQueue<Int>(capacity: 4)
        #expect(queue.tryNext() == nil)
        for i in 1...3 { queue.push(i) }
        let taken = await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return [queue.tryNext(), queue.tryNext()]
        }.value
        #expect(taken == [1, 2])
        #expect(queue.tryNext() == 3 && queue.tryNext() == nil && queue.count == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func pushReturnsTheDroppedElement() {
        let queue = FrameQueue<String>(capacity: 1)
        #expect(queue.push("a") == [])
        #expect(queue.push("b") == ["a"])
        #expect(queue.dropped == 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func byteLimitDropsOldestUntilUnderItButKeepsTheNewest() async throws {
        // Elements cost their own value in bytes; at most 10 elements and 100 bytes.
        let queue = FrameQueue<Int>(capacity: 10, byteLimit: 100, cost: { $0 })
        #expect(queue.push(40) == [] && queue.push(40) == [])
        #expect(queue.push(30) == [40])  // 110 > 100: the oldest goes
        #expect(queue.count == 2)
        #expect(queue.push(90) == [40, 30])  // several at once, oldest first
        #expect(queue.push(500) == [90])  // larger than the limit alone: kept, alone
        #expect(queue.count == 1 && queue.dropped == 4)
        #expect(try await queue.next() == 500)
        // Taking frees its bytes: two small ones fit again.
        #expect(queue.push(50) == [] && queue.push(50) == [])
        #expect(queue.tryNext() == 50)
        #expect(queue.push(50) == [])
        #expect(queue.push(1) == [50])
    }

    @Test(.timeLimit(.minutes(1)))
    func byteLimitedQueueStillHonoursItsCapacity() {
        let queue = FrameQueue<Int>(capacity: 2, byteLimit: 1_000, cost: { $0 })
        for i in 1...4 { queue.push(i) }
        #expect(queue.count == 2 && queue.dropped == 2)
        #expect(queue.tryNext() == 3 && queue.tryNext() == 4)
    }

    @Test(.timeLimit(.minutes(1)))
    func waitingConsumerReceivesThePush() async throws {
        let queue = FrameQueue<Int>(capacity: 2)
        let (events, continuation) = AsyncStream<Void>.makeStream()
        async let value: Int = {
            continuation.yield()
            return try await queue.next()
        }()
        var iterator = events.makeAsyncIterator()
        await iterator.next()
        queue.push(42)
        #expect(try await value == 42)
        #expect(queue.dropped == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingAWaitingConsumerThrowsAndLosesNothing() async throws {
        let queue = FrameQueue<Int>(capacity: 2)
        let task = Task { try await queue.next() }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // A cancelled waiter does not swallow later elements: the next generation gets them.
        queue.push(7)
        #expect(try await queue.next() == 7)
    }

    @Test(.timeLimit(.minutes(1)))
    func elementsSurviveAConsumerGeneration() async throws {
        let queue = FrameQueue<Int>(capacity: 4)
        queue.push(1)
        queue.push(2)
        let first = Task { try await queue.next() }
        #expect(try await first.value == 1)
        // The consumer "restarts": a new task reads from the same queue.
        let second = Task { try await queue.next() }
        #expect(try await second.value == 2)
    }

    @Test(.timeLimit(.minutes(1)))
    func sequencePersistsAcrossGenerations() {
        let sequence = FrameSequence(next: 100)
        #expect(sequence.take() == 100)
        #expect(sequence.take() == 101)
        #expect(sequence.peek == 102)
    }
}

@Suite("FrameQueue cancellation")
struct FrameQueueCancellationTests {
    @Test(.timeLimit(.minutes(1)))
    func aCancelledCallerTakesNothingEvenWhenElementsWait() async throws {
        let queue = FrameQueue<Int>(capacity: 4)
        queue.push(1)
        let (started, go) = AsyncStream<Void>.makeStream()
        let task = Task {
            for await _ in started { break }
            return try await queue.next()
        }
        task.cancel()
        go.yield()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(queue.count == 1)
        #expect(try await queue.next() == 1)
    }
}

@Suite("FrameQueue milestones")
struct FrameQueueMilestoneTests {
    /// Starts `wait(until: milestone)` in a task and returns once that task waits.
    private func waiting(on queue: FrameQueue<Int>, until milestone: FrameQueue<Int>.Milestone) async -> Task<Void, any Error> {
        let (waiting, signal) = AsyncStream<Void>.makeStream()
        let task = Task { try await queue.wait(until: milestone, onWaiting: { signal.yield() }) }
        for await _ in waiting { break }
        return task
    }

    /// Awaits `task`, which must end within 10 s; cancels it otherwise, and when the test is
    /// cancelled (its time limit), so that a waiter never woken fails the test instead of hanging it.
    private func finished(_ task: Task<Void, any Error>) async throws {
        try await within(.seconds(10), "the waiter woke") {
            try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aWaiterWakesOnThePushThatReachesItsDropCountAndNotBefore() async throws {
        let queue = FrameQueue<Int>(capacity: 1)
        let task = await waiting(on: queue, until: .dropped(atLeast: 2))
        queue.push(1)
        queue.push(2)  // 1 dropped
        #expect(queue.dropped == 1 && queue.watcherCount == 1)
        queue.push(3)  // 2 dropped: this push resumes the waiter
        #expect(queue.watcherCount == 0)
        try await finished(task)
        #expect(queue.dropped == 2)
    }

    @Test(.timeLimit(.minutes(1)))
    func aWaiterWakesWhenTheQueueHoldsEnough() async throws {
        let queue = FrameQueue<Int>(capacity: 4)
        let task = await waiting(on: queue, until: .holding(atLeast: 3))
        queue.push(1)
        queue.push(2)
        _ = queue.tryNext()
        queue.push(3)  // holds 2: still waiting
        #expect(queue.watcherCount == 1)
        queue.push(4)  // holds 3
        #expect(queue.watcherCount == 0)
        try await finished(task)
        #expect(queue.count == 3)
    }

    @Test(.timeLimit(.minutes(1)))
    func eachWaiterWakesAtItsOwnMilestone() async throws {
        let queue = FrameQueue<Int>(capacity: 1)
        let early = await waiting(on: queue, until: .dropped(atLeast: 1))
        let late = await waiting(on: queue, until: .dropped(atLeast: 3))
        #expect(queue.watcherCount == 2)
        queue.push(1)
        queue.push(2)
        try await finished(early)
        #expect(queue.watcherCount == 1)
        queue.push(3)
        queue.push(4)
        try await finished(late)
        #expect(queue.watcherCount == 0 && queue.dropped == 3)
    }

    @Test(.timeLimit(.minutes(1)))
    func aMilestoneAlreadyReachedReturnsAtOnce() async throws {
        let queue = FrameQueue<Int>(capacity: 2)
        for i in 1...5 { queue.push(i) }
        try await queue.wait(until: .dropped(atLeast: 3))
        try await queue.wait(until: .holding(atLeast: 2))
        #expect(queue.watcherCount == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingAWaiterThrowsAndUnregistersIt() async throws {
        let queue = FrameQueue<Int>(capacity: 1)
        let task = await waiting(on: queue, until: .dropped(atLeast: 1))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(queue.watcherCount == 0)
        // An already cancelled caller throws without registering, even though nothing is reached.
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await queue.wait(until: .dropped(atLeast: 1))
        }
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(queue.watcherCount == 0)
        queue.push(1)
        queue.push(2)
        #expect(queue.dropped == 1)
    }

    /// A producer thread in `waitForRoom` on a full queue, and the events it reports: "waiting"
    /// each time it is about to sleep (its `stop` is read with the wake-up's lock held, so a wake
    /// after that event cannot be missed), then "returned".
    private func producer(
        waitingForRoomIn queue: FrameQueue<Int>, stop: @escaping @Sendable () -> Bool
    ) -> AsyncStream<String> {
        let (events, event) = AsyncStream.makeStream(of: String.self)
        Thread {
            queue.waitForRoom {
                let stopped = stop()
                if !stopped { event.yield("waiting") }
                return stopped
            }
            event.yield("returned")
            event.finish()
        }.start()
        return events
    }

    @Test(.timeLimit(.minutes(1)))
    func aProducerWaitingForRoomGoesOnWhenAnElementIsTaken() async throws {
        let queue = FrameQueue<Int>(capacity: 1)
        queue.push(1)
        var events = producer(waitingForRoomIn: queue, stop: { false }).makeAsyncIterator()
        #expect(await events.next() == "waiting")
        // No timeout wakes it: only the take does (without it, the time limit fails the test).
        #expect(queue.tryNext() == 1)
        #expect(await events.next() == "returned")
        #expect(await events.next() == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func aStopRequestWakesAProducerWaitingForRoom() async throws {
        let queue = FrameQueue<Int>(capacity: 1)
        queue.push(1)
        let control = CaptureControl(stallTimeout: .seconds(600), alsoWake: { queue.wakeProducers() })
        var events = producer(waitingForRoomIn: queue, stop: { control.shouldStop }).makeAsyncIterator()
        #expect(await events.next() == "waiting")
        control.request(.cancelled)
        #expect(await events.next() == "returned")
        #expect(control.stopReason == .cancelled && queue.count == 1)
    }
}
