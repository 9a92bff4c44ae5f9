#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which call, on what, and `errno`'s message.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; opaque so new kinds don't break the API.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let value: Int32
        /// The `errno` value.
        public var errno: Int32 { value }
        /// The `errno` value as text.
        public var description: String { String(cString: strerror(value)) }
        /// The code of `errno` value `value`.
        package init(errno value: Int32) { self.value = value }
    }

    /// The failing call's `errno`.
    public var code: Code
    /// The call that failed, with its subject (`rename /run/edge-video/status.json`).
    public var operation: String

    /// Creates an error for `operation`, which failed with `code`.
    package init(code: Code, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// `operation: strerror(errno)`.
    public var description: String { "\(operation): \(code)" }
}
