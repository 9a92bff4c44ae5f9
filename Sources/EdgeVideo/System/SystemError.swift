import SystemCalls

/// A failed system call: which call, on what, and `errno`'s message (Sources/SystemCalls/SystemError.swift).
package typealias SystemError = SystemCalls.SystemError
