import Durations
import Foundation
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Talks to systemd's notify socket (`$NOTIFY_SOCKET`) with one datagram per message, the
/// sd_notify protocol, without libsystemd. Outside systemd (no socket) every call is a no-op.
///
/// Thread-safety: immutable; each call opens, sends and closes its own socket.
package struct SystemdNotifier: Sendable {
    /// The socket address: a path, or an abstract name starting with `@`; `nil` when not under systemd.
    package let socketPath: String?
    /// The watchdog interval systemd expects pings within (`$WATCHDOG_USEC`), if enabled for us.
    package let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    package init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        watchdogInterval = environment["WATCHDOG_USEC"].flatMap(UInt64.init).flatMap {
            $0 > 0 && forUs ? Duration.microseconds(Int64($0)) : nil
        }
    }

    /// `READY=1`: the tree is up.
    package func ready(status: String? = nil) throws(SystemError) {
        try send(["READY=1", "MAINPID=\(getpid())"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// `WATCHDOG=1`: still alive and healthy.
    package func watchdog() throws(SystemError) { try send(["WATCHDOG=1"]) }

    /// `STOPPING=1`: a graceful stop has begun; with `within`, also `EXTEND_TIMEOUT_USEC`, so
    /// that systemd waits that long (from now) before killing, even past `TimeoutStopSec=`.
    package func stopping(within: Duration? = nil) throws(SystemError) {
        let extend = within.map { "EXTEND_TIMEOUT_USEC=\($0.microseconds)" }
        try send(["STOPPING=1"] + (extend.map { [$0] } ?? []))
    }

    /// `RELOADING=1` then, with ``ready(status:)``, the end of a reload.
    package func reloading() throws(SystemError) { try send(["RELOADING=1"]) }

    /// `STATUS=...`: a one-line status shown by `systemctl status`.
    package func status(_ text: String) throws(SystemError) {
        try send(["STATUS=\(text.replacingOccurrences(of: "\n", with: " "))"])
    }

    /// Sends `assignments` as one newline-separated datagram.
    package func send(_ assignments: [String]) throws(SystemError) {
        guard let socketPath else { return }
        let fd = OwnedDescriptor(adopting: try syscall("socket AF_UNIX") { socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) })
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else {
            throw SystemError(code: .init(errno: ENAMETOOLONG), operation: "connect \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let message = Array(assignments.joined(separator: "\n").utf8)
        try syscall("send to \(socketPath)") {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                    sendto(fd.rawValue, message, message.count, Int32(MSG_NOSIGNAL), sockaddr, length)
                }
            }
        }
    }
}
