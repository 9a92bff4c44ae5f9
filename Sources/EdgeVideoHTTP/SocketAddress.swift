#if canImport(Glibc)
import Glibc
#endif

/// A numeric IPv4 or IPv6 socket address (no name lookup), for the HTTP endpoint's listener.
package struct SocketAddress: Sendable {
    /// `AF_INET` or `AF_INET6`.
    package let family: Int32
    /// The `sockaddr_in` or `sockaddr_in6` bytes.
    package let bytes: [UInt8]

    /// Parses a numeric address such as `127.0.0.1` or `::1`; `nil` for anything else (host names
    /// included: the endpoint never resolves names).
    package static func numeric(_ address: String, port: Int) -> SocketAddress? {
        guard (0...65535).contains(port) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(port).bigEndian)
            sin.sin_addr = v4
            return SocketAddress(family: AF_INET, bytes: withUnsafeBytes(of: sin) { Array($0) })
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = in_port_t(UInt16(port).bigEndian)
            sin6.sin6_addr = v6
            return SocketAddress(family: AF_INET6, bytes: withUnsafeBytes(of: sin6) { Array($0) })
        }
        return nil
    }

    /// Whether the numeric `address` is a loopback one: 127.0.0.0/8, `::1`, or `::ffff:127.x.y.z`.
    package static func isLoopback(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes == [UInt8](repeating: 0, count: 15) + [1] { return true }
        return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
    }

    /// The port a bound socket got (the one picked by the kernel for port 0).
    static func boundPort(of fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        return withUnsafeBytes(of: storage) { raw in
            // sin_port and sin6_port sit at the same offset, after the family.
            Int(UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self)))
        }
    }
}
