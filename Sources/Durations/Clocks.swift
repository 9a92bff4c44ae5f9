import Glibc

/// Nanoseconds on the monotonic clock (`CLOCK_MONOTONIC`): one atomic-sized number, cheap
/// enough for every socket call and for libav's interrupt callback. Only the difference between
/// two readings means anything.
public func monotonicNanos() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// Microseconds since the Unix epoch on the wall clock (`CLOCK_REALTIME`): when a frame was
/// captured, for the message and the status. It can jump; measure intervals with
/// ``monotonicNanos()``.
public func wallClockMicros() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
}
