import Glibc
import SystemCalls

/// A non-blocking self-pipe that wakes a dedicated thread sleeping in `poll`: the thread polls
/// ``readEnd`` beside its own descriptors and calls ``drain()`` when it is readable; anyone calls
/// ``wake()``.
///
/// Both ends are closed when the last reference goes, so a `wake()` can never write to a
/// descriptor number that was closed and reused meanwhile. Thread-safety: every method may be
/// called from any thread.
public final class WakePipe: Sendable {
    /// The read end, closed with this object.
    private let reader: OwnedDescriptor
    /// The write end, closed with this object.
    private let writer: OwnedDescriptor

    /// The end to `poll` for `POLLIN`.
    public var readEnd: Int32 { reader.rawValue }

    /// Opens the pipe (non-blocking, close-on-exec).
    /// - Throws: ``WakePipeError`` when `pipe(2)` fails (out of descriptors).
    public init() throws(WakePipeError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw WakePipeError(errno: errno) }
        for fd in ends {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        reader = OwnedDescriptor(adopting: ends[0])
        writer = OwnedDescriptor(adopting: ends[1])
    }

    /// Makes ``readEnd`` readable (a full pipe already is).
    public func wake() {
        var byte: UInt8 = 1
        _ = write(writer.rawValue, &byte, 1)
    }

    /// Empties the pipe; call it after `poll` reported ``readEnd`` readable.
    public func drain() {
        // A short read means the pipe is empty: no second `read` to meet `EAGAIN`.
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 1) { buffer in
            while read(readEnd, buffer.baseAddress, buffer.count) == buffer.count {}
        }
    }
}

/// `pipe(2)` failed.
public struct WakePipeError: Error, CustomStringConvertible, Sendable {
    /// The error number (`EMFILE`, `ENFILE`).
    public let errno: Int32

    /// `cannot open a wake pipe: errno <n>`.
    public var description: String { "cannot open a wake pipe: errno \(errno)" }
}
