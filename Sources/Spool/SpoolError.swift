import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// An error of the spool: what kind, and a message naming the path and the system's reason.
///
/// The `code` is opaque so that new kinds of failure don't break the API; compare it with the
/// static members of ``Code``.
package struct SpoolError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case noSpace = "no space"
            case io = "I/O error"
            case unavailable = "unavailable"
            case invalidRecord = "invalid record"
            case invalidConfiguration = "invalid configuration"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The file system is full or the quota is reached (`ENOSPC`, `EDQUOT`); the partial write
        /// was cut away and the spool is still consistent.
        package static let noSpace = Code(.noSpace)
        /// The disk failed a read, a write or a sync (`EIO` and the like).
        package static let io = Code(.io)
        /// The directory is missing, vanished, or read-only, or the spool has closed: keep frames
        /// in memory instead.
        package static let unavailable = Code(.unavailable)
        /// The record cannot be stored: a bad stream name, or larger than the budget.
        package static let invalidRecord = Code(.invalidRecord)

        /// The configuration cannot work (a budget smaller than one record header).
        package static let invalidConfiguration = Code(.invalidConfiguration)

        /// A short name of the code.
        package var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    package let code: Code
    /// What failed, on which path, and why (`errno`'s text).
    package let message: String

    /// Creates an error.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    package var description: String { "\(code): \(message)" }

    /// The error for a failed system call: `operation path: strerror`, its code chosen by `errno`.
    static func system(_ operation: String, _ path: String, errno code: Int32) -> SpoolError {
        let text = "\(operation) \(path): \(String(cString: strerror(code)))"
        switch code {
        case ENOSPC, EDQUOT: return SpoolError(.noSpace, text)
        case ENOENT, EROFS, EACCES, EPERM, ENOTDIR, ESTALE, ENODEV, ENXIO: return SpoolError(.unavailable, text)
        default: return SpoolError(.io, text)
        }
    }
}

/// Runs a system call through `syscall` of Sources/SystemCalls/Syscall.swift (retrying on `EINTR`),
/// and maps a `-1` result to ``SpoolError``.
@discardableResult
func syscall<T: FixedWidthInteger>(
    _ operation: String, _ path: @autoclosure () -> String, _ body: () -> T
) throws(SpoolError) -> T {
    do throws(SystemError) {
        return try SystemCalls.syscall(operation, body)
    } catch {
        throw SpoolError.system(operation, path(), errno: error.code.errno)
    }
}
