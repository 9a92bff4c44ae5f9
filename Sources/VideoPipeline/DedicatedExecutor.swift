import Foundation
import Locking

/// A task executor backed by one dedicated thread, so that CPU-heavy C calls (scaling, JPEG
/// encoding) of a stage never occupy Swift's cooperative pool.
///
/// `@unchecked Sendable`: a small box whose only mutable state (`jobs`, `stopped`) is guarded by
/// `condition`.
final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = Condition()
    private var jobs: [UnownedJob] = []
    private var stopped = false
    private var finished: CheckedContinuation<Void, Never>?
    private var hasFinished = false

    /// Starts the thread, named `name`.
    init(name: String) {
        let thread = Thread { [self] in
            Thread.current.name = name
            loop()
        }
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Stops the thread once queued jobs have run and waits until it has returned.
    func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            stopped = true
            if hasFinished {
                condition.unlock()
                continuation.resume()
                return
            }
            finished = continuation
            condition.signal()
            condition.unlock()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty {
                hasFinished = true
                let continuation = finished
                condition.unlock()
                continuation?.resume()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
