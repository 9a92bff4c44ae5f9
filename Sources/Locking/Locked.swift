#if !EDGE_VIDEO_TSAN
import Synchronization
#endif

/// A value behind a lock: the one lock type of edge-video, shaped like the standard library's
/// `Synchronization.Mutex` (`Locked(value)`, `withLock { value in … }`).
///
/// Normal builds use `Mutex` itself. ThreadSanitizer builds (`scripts/tsan.sh` sets
/// `EDGE_VIDEO_TSAN=1`, which Package.swift turns into a compile condition) use a
/// `pthread_mutex_t` instead: on Linux, `Mutex` waits through `FUTEX_LOCK_PI`, which TSan does not
/// see, so it reports races on data that `Mutex` guards correctly. Every lock going through this
/// one type is what lets TSan see all of the project's locking.
///
/// Thread-safety: `Sendable` for any value, like `Mutex`: the value only ever leaves the lock as
/// a `sending` result.
public struct Locked<Value: ~Copyable>: ~Copyable {
    #if EDGE_VIDEO_TSAN
    private let lock: PThreadMutex
    private let value: UnsafeMutablePointer<Value>
    #else
    private let mutex: Mutex<Value>
    #endif

    /// Creates a lock holding `initialValue`.
    public init(_ initialValue: consuming sending Value) {
        #if EDGE_VIDEO_TSAN
        lock = PThreadMutex()
        value = .allocate(capacity: 1)
        value.initialize(to: initialValue)
        #else
        mutex = Mutex(initialValue)
        #endif
    }

    #if EDGE_VIDEO_TSAN
    deinit {
        value.deinitialize(count: 1)
        value.deallocate()
    }
    #endif

    /// Runs `body` with exclusive access to the value, and returns what it returns.
    ///
    /// Blocks the calling thread while another holds the lock: keep `body` short, and never
    /// `await` or block in it.
    @inline(__always)
    public borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        #if EDGE_VIDEO_TSAN
        lock.lock()
        defer { lock.unlock() }
        return try body(&value.pointee)
        #else
        return try mutex.withLock(body)
        #endif
    }
}

/// `@unchecked Sendable` like `Mutex`: the value is only reached under the lock, and enters and
/// leaves it only as `sending`.
extension Locked: @unchecked Sendable where Value: ~Copyable {}
