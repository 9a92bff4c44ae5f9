import Locking

/// A task executor backed by one ``DedicatedThread``, so that CPU-heavy C calls (scaling, JPEG
/// encoding) never occupy Swift's cooperative pool, and so that async work sharing the thread
/// hands values to each other without waking another thread.
///
/// Use it through ``withDedicatedExecutor(name:_:)``, which joins the thread before it returns, and
/// `withTaskExecutorPreference(_:operation:)` for the tasks that should run on it. A job that
/// blocks blocks every task of the executor: share one only between tasks that may wait for each
/// other (a camera's encoder and publisher).
///
/// `@unchecked Sendable`: a small box whose only mutable state (`jobs`, `stopped`) is guarded by
/// `condition`.
public final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = Condition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    private init() {}

    /// Runs `body` with a new executor whose thread is named `name`; stops and joins the thread
    /// (once the jobs queued on it have run) before returning, whether `body` returned or threw.
    ///
    /// Every task with a preference for the executor must have ended when `body` returns (run them
    /// as child tasks of `body`, or of a scope that `body` awaits).
    /// - Throws: what `body` threw, or ``DedicatedThreadError`` when no thread could be started.
    public static func withDedicatedExecutor<T>(
        name: String, _ body: (DedicatedExecutor) async throws -> T
    ) async throws -> T {
        let executor = DedicatedExecutor()
        let thread = try DedicatedThread(name: name) { executor.loop() }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(executor))
        } catch {
            result = .failure(error)
        }
        executor.stop()
        await thread.join()
        return try result.get()
    }

    /// Queues `job` to run on the executor's thread (called by the Swift runtime).
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread return once the queued jobs have run.
    private func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
