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

@Suite("Every lock is Locked or Condition")
struct LockUseTests {
    /// A bare `Mutex` would bring back the false reports under scripts/tsan.sh (see
    /// Sources/Locking/Locked.swift), and another lock type would be a second way to do one thing.
    @Test(.timeLimit(.minutes(1)))
    func noOtherLockTypeInSourcesOrTests() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let pattern = #"\bMutex\s*[<(]|\bNS(Recursive)?Lock\b|\bNSCondition\b|\bpthread_mutex_t\b|\bos_unfair_lock"#
        var offenders: [String] = []
        for folder in ["Sources", "Tests"] {
            let files = FileManager.default.enumerator(atPath: root.appendingPathComponent(folder).path)
            while let file = files?.nextObject() as? String {
                guard file.hasSuffix(".swift"), !file.hasPrefix("Locking/"), !file.hasPrefix("LockingTests/") else { continue }
                let path = root.appendingPathComponent(folder).appendingPathComponent(file).path
                let text = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where line.range(of: pattern, options: .regularExpression) != nil {
                    offenders.append("\(folder)/\(file):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(offenders == [], "use Locked or Condition (Sources/Locking)")
    }
}
