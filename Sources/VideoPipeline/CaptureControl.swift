import Durations
import Foundation
import Locking
import Synchronization
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

    init(stallTimeout: Duration) {
        stallNanos = stallTimeout.nanoseconds
        deadline = Atomic(monotonicNanos() + stallNanos)
    }

    /// The stop reason, or `.none`.
    var stopReason: StopReason { StopReason(rawValue: reason.load(ordering: .acquiring)) ?? .none }

    /// Whether the thread must stop now; also trips `.stalled` once the deadline has passed.
    /// Called by the interrupt callback and between packets.
    var shouldStop: Bool {
        if reason.load(ordering: .relaxed) != 0 { return true }
        if monotonicNanos() > deadline.load(ordering: .relaxed) {
            request(.stalled)
            return true
        }
        return false
    }

    /// Asks the thread to stop; the first reason wins.
    func request(_ why: StopReason) {
        _ = reason.compareExchange(expected: 0, desired: why.rawValue, ordering: .acquiringAndReleasing)
        wake.lock()
        wake.broadcast()
        wake.unlock()
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
