#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lock with a condition variable, for a dedicated thread that sleeps until another thread
/// signals it; shaped like Foundation's `NSCondition` (`lock`, `wait`, `signal`, `unlock`).
///
/// Built on `pthread_mutex_t` and `pthread_cond_t` in every build, as `NSCondition` is on Linux,
/// so ThreadSanitizer sees it. Timed waits count on `CLOCK_MONOTONIC` (on Linux), so a step of
/// the wall clock neither shortens nor stretches them. Data that no thread sleeps on belongs in
/// ``Locked`` instead.
///
/// Thread-safety: `Sendable`. `wait` and `wait(timeout:)` must be called with the lock held;
/// `signal` and `broadcast` may be called with or without it.
public final class Condition: Sendable {
    private let storage = PThreadMutex()

    /// Creates an unlocked condition.
    public init() {}

    /// Takes the lock, blocking the calling thread until it is free.
    public func lock() { storage.lock() }

    /// Releases the lock, which the calling thread must hold.
    public func unlock() { storage.unlock() }

    /// Releases the lock, sleeps until signalled, and takes the lock again before returning.
    /// Wakes may be spurious: call it in a loop that re-checks the awaited state.
    public func wait() {
        PThreadMutex.check(pthread_cond_wait(storage.condition, storage.mutex), "pthread_cond_wait")
    }

    /// Like ``wait()``, but gives up after `timeout`.
    /// - Returns: false if the timeout passed before a signal.
    @discardableResult
    public func wait(timeout: Duration) -> Bool {
        var now = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_MONOTONIC, &now)
        #else
        clock_gettime(CLOCK_REALTIME, &now)
        #endif
        let (seconds, attoseconds) = max(timeout, .zero).components
        let nanos = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
        var deadline = timespec()
        deadline.tv_sec = now.tv_sec + Int(seconds) + nanos / 1_000_000_000
        deadline.tv_nsec = nanos % 1_000_000_000
        let result = pthread_cond_timedwait(storage.condition, storage.mutex, &deadline)
        if result == ETIMEDOUT { return false }
        PThreadMutex.check(result, "pthread_cond_timedwait")
        return true
    }

    /// Wakes one thread waiting on this condition, if any.
    public func signal() { PThreadMutex.check(pthread_cond_signal(storage.condition), "pthread_cond_signal") }

    /// Wakes every thread waiting on this condition.
    public func broadcast() {
        PThreadMutex.check(pthread_cond_broadcast(storage.condition), "pthread_cond_broadcast")
    }
}
