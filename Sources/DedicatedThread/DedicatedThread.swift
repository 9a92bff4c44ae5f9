import Durations
import Glibc
import Locking
import SystemCalls

/// One named OS thread (a joinable pthread) that runs one blocking body, off Swift's cooperative
/// pool, and is always joined by its owner.
///
/// The body signals when it has returned, so ``join()`` suspends (never blocks a pool thread)
/// until then and calls `pthread_join` only for the thread's last instructions. Once `join()`
/// has returned, the thread runs no more code and holds nothing of ours. The kernel reaps it a
/// moment later: until then it may still be listed in `/proc/self/task`.
///
/// ```swift
/// let thread = try DedicatedThread(name: "worker") { blockingLoop() }
/// stopTheLoop()          // whatever makes the body return
/// await thread.join()
/// ```
///
/// Thread-safety: every method may be called from any task or thread.
public final class DedicatedThread: Sendable {
    /// The thread's name (at most 15 bytes; shown by `top -H` and `/proc/PID/task/*/comm`).
    public let name: String
    /// The thread to join; `nil` once joined (or detached).
    private let handle = Locked<pthread_t?>(nil)
    /// Whether the body has returned; joins wait on it.
    private let finished = Watched(false)

    /// Starts a thread named `name` running `body`.
    ///
    /// - Parameters:
    ///   - name: The thread's name; only the first 15 bytes are kept.
    ///   - body: The blocking work. Everything it captures is released before ``join()`` returns.
    /// - Throws: ``DedicatedThreadError`` when the system refuses a new thread.
    public init(name: String, _ body: @escaping @Sendable () -> Void) throws(DedicatedThreadError) {
        self.name = String(decoding: Array(name.utf8.prefix(15)), as: UTF8.self)
        let launch = Unmanaged.passRetained(Launch(thread: self, body: body)).toOpaque()
        var handle = pthread_t()
        // Under the lock, so the handle is stored before the thread can finish.
        let status = self.handle.withLock { stored in
            let status = pthread_create(&handle, nil, { raw in
                Launch.run(raw!)
                return nil
            }, launch)
            if status == 0 { stored = handle }
            return status
        }
        guard status == 0 else {
            Unmanaged<Launch>.fromOpaque(launch).release()
            throw DedicatedThreadError(name: self.name, errno: status)
        }
    }

    /// Whether the body has returned.
    public var isFinished: Bool { finished.value }

    /// Waits until the body has returned, then joins the thread. Not cancellable: the caller makes
    /// the body return (a stop flag, a shut-down socket); calling it again returns at once.
    public func join() async {
        _ = await finished.waitIgnoringCancellation { $0 }
        joinFinished()
    }

    /// Waits at most `timeout` (less if the task is cancelled) for the body to return, joining the
    /// thread if it did.
    /// - Returns: whether the thread was joined.
    public func join(within timeout: Duration) async -> Bool {
        let joined = await withTimeout(timeout) { (try? await self.finished.wait { $0 }) ?? false } ?? isFinished
        if joined { joinFinished() }
        return joined
    }

    /// Runs `body` on a new thread named `name`, waits for it without blocking the cooperative pool
    /// and joins it.
    ///
    /// Cancelling the calling task does not interrupt `body`: make it watch a flag the caller sets
    /// from a cancellation handler.
    /// - Returns: what `body` returned.
    /// - Throws: what `body` threw, or ``DedicatedThreadError`` when no thread could be started.
    public static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result = ResultBox<T>()
        let thread = try DedicatedThread(name: name) {
            let outcome = Result { try body() }
            result.value.withLock { $0 = outcome }
        }
        await thread.join()
        return try result.value.withLock { $0.take()! }.get()
    }

    /// Joins a thread whose body has returned: blocks only for its last instructions.
    private func joinFinished() {
        // Under the lock, so a concurrent caller returns only once the join is done.
        handle.withLock { handle in
            if let thread = handle.take() { _ = pthread_join(thread, nil) }
        }
    }

    fileprivate func markFinished() {
        finished.update { $0 = true }
    }

    deinit {
        // Never joined (a bug of the owner): detach, so the thread's resources are not kept forever.
        if let thread = handle.withLock({ $0.take() }) { _ = pthread_detach(thread) }
    }
}

/// What a new thread needs: its owner and its body. Retained by `pthread_create`'s argument.
private final class Launch {
    let thread: DedicatedThread
    var body: (@Sendable () -> Void)?

    init(thread: DedicatedThread, body: @escaping @Sendable () -> Void) {
        self.thread = thread
        self.body = body
    }

    /// The thread's entry: names it, runs the body, releases it, then reports that it finished.
    static func run(_ raw: UnsafeMutableRawPointer) {
        let launch = Unmanaged<Launch>.fromOpaque(raw).takeRetainedValue()
        setCurrentThreadName(launch.thread.name)
        runBody(launch)
        launch.thread.markFinished()
    }

    /// Runs and releases the body (in a function of its own, so nothing of it outlives the call).
    private static func runBody(_ launch: Launch) {
        let body = launch.body
        launch.body = nil
        body?()
    }
}

/// Carries a body's result from the thread to ``DedicatedThread/run(name:_:)``.
private final class ResultBox<T: Sendable>: Sendable {
    let value = Locked<Result<T, any Error>?>(nil)
}

/// Names the calling thread through procfs (`pthread_setname_np` is not visible to Swift on Glibc).
private func setCurrentThreadName(_ name: String) {
    ProcFile.write(Array(name.utf8.prefix(15)), to: "/proc/thread-self/comm")
}

/// The system refused a new thread (`pthread_create` failed).
public struct DedicatedThreadError: Error, CustomStringConvertible, Sendable {
    /// The name of the thread that could not be started.
    public let name: String
    /// The error number `pthread_create` returned (`EAGAIN` when out of threads or memory).
    public let errno: Int32

    /// `cannot start thread <name>: errno <n>`.
    public var description: String { "cannot start thread \(name): errno \(errno)" }
}
