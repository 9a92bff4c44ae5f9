import DedicatedThread
import EdgeVideoTestSupport
import Foundation
import Locking
import Synchronization
import Testing

@Suite("DedicatedThread")
struct DedicatedThreadTests {
    struct Refused: Error {}

    @Test(.timeLimit(.minutes(1)))
    func runsOnANamedThreadAndJoinsItBeforeReturning() async throws {
        let name = uniqueThreadName()
        let seen = try await DedicatedThread.run(name: name) { () -> String in
            let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            return comm.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(seen == name)
        // Checked at once, not eventually: a joined thread has begun its exit (`liveThreads`).
        #expect(threads(named: name) == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func rethrowsWhatTheBodyThrew() async {
        await #expect(throws: Refused.self) {
            try await DedicatedThread.run(name: uniqueThreadName()) { throw Refused() }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func joinWithinGivesUpWhileTheBodyRunsThenJoinWaitsForIt() async throws {
        let name = uniqueThreadName()
        let gate = Gate()
        let thread = try DedicatedThread(name: name) { gate.wait() }
        #expect(await !thread.join(within: .milliseconds(20)))
        #expect(!thread.isFinished && threads(named: name) == 1)
        gate.open()
        await thread.join()
        #expect(thread.isFinished)
        #expect(threads(named: name) == 0)
        await thread.join()  // a second join returns at once
    }

    @Test(.timeLimit(.minutes(1)))
    func joinIsNotCutShortByCancellation() async throws {
        let name = uniqueThreadName()
        let gate = Gate()
        let bodyDone = Atomic<Bool>(false)
        let thread = try DedicatedThread(name: name) {
            gate.wait()
            bodyDone.store(true, ordering: .sequentiallyConsistent)
        }
        let joiner = Task {
            await thread.join()
            return bodyDone.load(ordering: .sequentiallyConsistent)
        }
        joiner.cancel()
        // A cancelled `join(within:)` gives up at once instead.
        let quick = Task { await thread.join(within: .seconds(60)) }
        quick.cancel()
        #expect(await quick.value == false)
        gate.open()
        #expect(await joiner.value)
        #expect(threads(named: name) == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func whatTheBodyCapturedIsReleasedWhenJoinReturns() async throws {
        final class Payload: Sendable {}
        weak var weakPayload: Payload?
        do {
            let payload = Payload()
            weakPayload = payload
            let thread = try DedicatedThread(name: uniqueThreadName()) { _ = payload }
            await thread.join()
        }
        #expect(weakPayload == nil)
    }
}

/// A one-shot gate a thread can block on.
final class Gate: @unchecked Sendable {
    // `@unchecked`: `isOpen` is only touched under `condition`.
    private let condition = Condition()
    private var isOpen = false

    func wait() {
        condition.lock()
        while !isOpen { condition.wait() }
        condition.unlock()
    }

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }
}

/// A thread name no other test uses (15 bytes at most).
func uniqueThreadName() -> String {
    "dt-\(UInt32.random(in: 0...UInt32.max))"
}
