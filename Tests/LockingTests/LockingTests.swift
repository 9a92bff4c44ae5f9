import Foundation
import Locking
import Testing

@Suite("Locking")
struct LockingTests {
    /// Four threads append under the lock; under scripts/tsan.sh this is also the program in which
    /// TSan reported races on the standard library's `Mutex` and must report none on `Locked`.
    @Test(.timeLimit(.minutes(1)))
    func fourThreadsAppendingLoseNothing() {
        let values = Locked<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for i in 0..<5_000 { values.withLock { $0.append(thread * 5_000 + i) } }
        }
        let all = values.withLock { $0 }
        #expect(all.count == 20_000)
        #expect(Set(all).count == 20_000)
    }

    @Test(.timeLimit(.minutes(1)))
    func signalWakesAThreadWaitingForState() async {
        let condition = Condition()
        nonisolated(unsafe) var ready = false
        let woken: Bool = await withCheckedContinuation { continuation in
            let thread = Thread {
                condition.lock()
                while !ready { condition.wait() }
                condition.unlock()
                continuation.resume(returning: true)
            }
            thread.start()
            condition.lock()
            ready = true
            condition.signal()
            condition.unlock()
        }
        #expect(woken)
    }

    @Test(.timeLimit(.minutes(1)))
    func timedWaitWithoutSignalTimesOutAfterTheTimeout() {
        let condition = Condition()
        let clock = ContinuousClock()
        let start = clock.now
        condition.lock()
        var signalled = true
        // A spurious wake returns true early; a real timeout returns false.
        while signalled, clock.now - start < .milliseconds(20) {
            signalled = condition.wait(timeout: .milliseconds(20) - (clock.now - start))
        }
        condition.unlock()
        #expect(!signalled)
        #expect(clock.now - start >= .milliseconds(20))
    }
}
