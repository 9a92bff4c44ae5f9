#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One open file descriptor and the duty to close it: whoever holds the value owns the number.
///
/// It closes the descriptor when it goes away, on every path out of a scope, a thrown error
/// included, so no error path needs a `close` of its own and none can forget one. It cannot be
/// copied, so the number has one owner and is closed once. To pass the number to an owner this
/// type cannot be (a thread's closure, an array of connections), ``release()`` ends the duty
/// without closing.
///
/// Its lifetime is the variable's: it closes at the end of the scope, or where it is consumed
/// (`_ = consume descriptor`), which is how a caller states that the number must stay open until
/// a given point, say until a thread that uses the raw number has been joined.
///
/// Thread-safety: `Sendable`; ``rawValue`` may be read from any thread while the owner lives.
package struct OwnedDescriptor: ~Copyable, Sendable {
    /// The descriptor's number, valid while this owner lives; pass it to system calls, never to a
    /// second owner.
    package let rawValue: Int32

    /// Takes ownership of `rawValue`, which the caller has just opened and closes no more.
    ///
    /// - Parameter rawValue: an open descriptor (`>= 0`), typically the checked result of `open`
    ///   or `socket` through ``syscall(_:_:)``.
    package init(adopting rawValue: Int32) {
        precondition(rawValue >= 0, "not a descriptor: \(rawValue)")
        self.rawValue = rawValue
    }

    /// Closes the descriptor, ignoring a failure: with nobody left to tell, a failed close has
    /// still released the number (see ``closeDescriptor(_:_:)``).
    deinit {
        _ = Glibc.close(rawValue)
    }

    /// Hands the number to a new owner without closing it; from now on that owner must close it.
    ///
    /// - Returns: the descriptor's number.
    package consuming func release() -> Int32 {
        let rawValue = rawValue
        discard self
        return rawValue
    }

    /// Closes the descriptor now and reports a failure, for a caller whose next step depends on
    /// the close (a file renamed into place only once it closed cleanly).
    ///
    /// - Parameter operation: the call and its subject, for the error (`close /run/x.tmp`).
    /// - Throws: ``SystemError`` as ``closeDescriptor(_:_:)`` does; the number is released either way.
    package consuming func close(_ operation: @autoclosure () -> String) throws(SystemError) {
        try closeDescriptor(release(), operation())
    }
}
