import Foundation
import Locking
import Testing

@Suite("Watched")
struct WatchedTests {
    @Test(.timeLimit(.minutes(1)))
    func aValueThatAlreadySatisfiesReturnsAtOnce() async throws {
        let watched = Watched(7)
        #expect(try await watched.wait { $0 > 5 } == 7)
        #expect(watched.waiterCount == 0)
    }

    /// Each waiter gets the first value that satisfies it: one woken by a value below its
    /// threshold would return that value.
    @Test(.timeLimit(.minutes(1)))
    func anUpdateWakesOnlyTheWaitersItSatisfiesWithTheValueThatDid() async throws {
        let watched = Watched(0)
        let low = Task { try await watched.wait { $0 >= 3 } }
        let high = Task { try await watched.wait { $0 >= 10 } }
        watched.update { $0 = 5 }
        #expect(try await low.value == 5)
        watched.update { $0 = 12 }
        #expect(try await high.value == 12)
        #expect(watched.update { $0 } == 12 && watched.waiterCount == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingAWaiterThrowsAndForgetsIt() async throws {
        let watched = Watched("idle")
        let (registered, announce) = AsyncStream.makeStream(of: Void.self)
        let waiter = Task {
            try await watched.wait { value in
                // Called under the lock once on registration: the waiter is in the list after it.
                if value == "idle" { announce.yield() }
                return value == "never"
            }
        }
        var events = registered.makeAsyncIterator()
        await events.next()
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(watched.waiterCount == 0)
        // An already cancelled caller throws without registering.
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await watched.wait { $0 == "never" }
        }
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(watched.waiterCount == 0)
    }

    /// 200 waiters with thresholds drawn from a seeded generator, a thread counting to 100 beside
    /// them: every waiter returns a value at or above its threshold, and none is left behind.
    @Test(.timeLimit(.minutes(1)))
    func waitersRacingAnUpdatingThreadAllReturnTheirValue() async throws {
        var generator = SystemRandomNumberGenerator()
        let thresholds = (0..<200).map { _ in Int.random(in: 1...100, using: &generator) }
        let watched = Watched(0)
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for threshold in thresholds {
                group.addTask { (threshold, try await watched.wait { $0 >= threshold }) }
            }
            Thread {
                for _ in 1...100 { watched.update { $0 += 1 } }
            }.start()
            for try await (threshold, value) in group {
                #expect(value >= threshold && value <= 100, "threshold \(threshold), value \(value)")
            }
        }
        #expect(watched.waiterCount == 0 && watched.value == 100)
    }
}
