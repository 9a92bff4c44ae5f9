#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a system call, retrying on `EINTR`, and maps a `-1` result to ``SystemError``.
///
/// - Parameters:
///   - operation: the call and its subject, for the error (`open /run/edge-video/status.json`).
///   - body: the call; it returns `-1` and sets `errno` when it fails.
/// - Throws: ``SystemError`` with `errno` for any failure but `EINTR`.
@discardableResult
package func syscall<T: FixedWidthInteger>(_ operation: @autoclosure () -> String, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(code: .init(errno: code), operation: operation())
    }
}

/// What a call on a non-blocking descriptor did.
package enum IOResult<T: FixedWidthInteger> {
    /// It completed, with this result.
    case processed(T)
    /// It would block (`EAGAIN`, `EWOULDBLOCK`): wait for readiness, then call again.
    case wouldBlock
}

/// Runs a call on a non-blocking descriptor as ``syscall(_:_:)`` does, but reports
/// ``IOResult/wouldBlock`` instead of throwing when it would block.
///
/// - Throws: ``SystemError`` for any other failure but `EINTR`, which is retried.
package func nonBlockingSyscall<T: FixedWidthInteger>(
    _ operation: @autoclosure () -> String, _ body: () -> T
) throws(SystemError) -> IOResult<T> {
    do throws(SystemError) {
        return .processed(try syscall(operation(), body))
    } catch where error.code.errno == EAGAIN || error.code.errno == EWOULDBLOCK {
        return .wouldBlock
    }
}

/// Runs a wait with a timeout (`poll`) once, and maps a `-1` result to ``SystemError``; returns
/// `nil` when a signal interrupted it (`EINTR`), so that the caller works out its timeout again
/// before it waits again, instead of waiting the whole of the old one.
///
/// - Throws: ``SystemError`` for any failure but `EINTR`.
package func syscallUnlessInterrupted<T: FixedWidthInteger>(
    _ operation: @autoclosure () -> String, _ body: () -> T
) throws(SystemError) -> T? {
    let result = body()
    if result != -1 { return result }
    let code = errno
    if code == EINTR { return nil }
    throw SystemError(code: .init(errno: code), operation: operation())
}

/// Closes `descriptor`, mapping a failure to ``SystemError``.
///
/// Not retried on `EINTR`, which counts as closed: Linux releases the descriptor whatever `close`
/// returns, and a second `close` could close a number another thread has been given since.
///
/// - Throws: ``SystemError`` for any failure but `EINTR`.
package func closeDescriptor(_ descriptor: Int32, _ operation: @autoclosure () -> String) throws(SystemError) {
    if close(descriptor) == -1 {
        let code = errno
        if code == EINTR { return }
        throw SystemError(code: .init(errno: code), operation: operation())
    }
}
