import Durations
import Foundation
import Locking
import Synchronization

/// Shared between a capture's async side and its dedicated thread: why to stop, and the
/// last-frame deadline. Read by libav's interrupt callback, so every read is one atomic load.
final class CaptureControl: Sendable {
    /// Why the capture thread must stop.
    enum StopReason: UInt8 {
        case none = 0
        case cancelled = 1
        case stalled = 2
    }

    private let reason = Atomic<UInt8>(StopReason.none.rawValue)
    /// Monotonic nanoseconds after which, with no new frame, the source counts as stalled.
    private let deadline: Atomic<Int64>
    let stallNanos: Int64
    /// Wakes the capture thread from a pacing wait.
    private let wake = Condition()
    /// Wakes it from any other wait (``FrameQueue/waitForRoom(stop:)``).
    private let alsoWake: @Sendable () -> Void

    /// - Parameter alsoWake: called after every stop request, to wake the capture thread from a
    ///   wait of its own; the pacing wait is woken in any case.
    init(stallTimeout: Duration, alsoWake: @escaping @Sendable () -> Void = {}) {
        stallNanos = stallTimeout.nanoseconds
        deadline = Atomic(monotonicNanos() + stallNanos)
        self.alsoWake = alsoWake
    }

    /// The stop reason, or `.none`.
    var stopReason: StopReason { StopReason(rawValue: reason.load(ordering: .acquiring)) ?? .none }

    /// Whether the thread must stop now; also trips `.stalled` once the deadline has passed.
    /// Called on the capture thread only (by the interrupt callback, between packets, in its
    /// waits), which needs no waking: it trips the reason without ``request(_:)``'s wake-ups.
    var shouldStop: Bool {
        if reason.load(ordering: .relaxed) != 0 { return true }
        if monotonicNanos() > deadline.load(ordering: .relaxed) {
            record(.stalled)
            return true
        }
        return false
    }

    /// Asks the thread to stop, from another thread, and wakes it from its waits; the first
    /// reason wins.
    func request(_ why: StopReason) {
        record(why)
        wake.lock()
        wake.broadcast()
        wake.unlock()
        alsoWake()
    }

    private func record(_ why: StopReason) {
        _ = reason.compareExchange(expected: 0, desired: why.rawValue, ordering: .acquiringAndReleasing)
    }

    /// Records that a frame arrived: pushes the stall deadline forward.
    func frameArrived() {
        deadline.store(monotonicNanos() + stallNanos, ordering: .relaxed)
    }

    /// Monotonic nanoseconds of the current stall deadline.
    var stallDeadline: Int64 { deadline.load(ordering: .relaxed) }

    /// Sleeps the capture thread until monotonic `nanos` or a stop request.
    /// - Returns: false if a stop was requested.
    func sleep(untilMonotonic nanos: Int64) -> Bool {
        while !shouldStop {
            let remaining = nanos - monotonicNanos()
            if remaining <= 0 { return true }
            wake.lock()
            if reason.load(ordering: .relaxed) == 0 {
                wake.wait(timeout: .nanoseconds(min(remaining, 200_000_000)))
            }
            wake.unlock()
        }
        return false
    }
}
