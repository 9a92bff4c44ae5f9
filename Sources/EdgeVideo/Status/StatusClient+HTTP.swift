import DedicatedThread
import EdgeVideoConfig
import EdgeVideoHTTP
import Foundation
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

extension StatusClient {
    /// The running instance's status from its HTTP endpoint (`GET /status`): no signal, no root.
    ///
    /// Accepted only if the document's pid is the pid file's (when there is one), so another
    /// instance on the same port is never mistaken for this one.
    ///
    /// - Parameter http: the `http` section of the instance's configuration.
    /// - Returns: the JSON, or `nil` when the endpoint is off, uses port 0, does not answer or
    ///   belongs to another instance (the caller then falls back to SIGUSR1).
    package func requestJSONOverHTTP(_ http: AppConfig.HTTP) async -> Data? {
        guard http.enabled, http.port != 0 else { return nil }
        let host = ["0.0.0.0": "127.0.0.1", "::": "::1"][http.address] ?? http.address
        guard let address = SocketAddress.numeric(host, port: http.port) else { return nil }
        let limit = timeout
        // A blocking connect and read with deadlines, on a thread of its own (joined).
        let authorization = http.auth.authorizationHeader
        let body = try? await DedicatedThread.run(name: "status-http") {
            Self.get("/status", from: address, within: limit, authorization: authorization)
        }
        guard let body, let document = try? JSONDecoder().decode(StatusDocument.self, from: body) else { return nil }
        if let pid = PIDFile.read(at: paths.pidFile)?.pid, pid != document.pid { return nil }
        return body
    }

    /// `GET path` over a fresh connection, with `authorization` as its `Authorization` header
    /// when given; the body of a 200 response, or `nil`.
    static func get(_ path: String, from address: SocketAddress, within limit: Duration, authorization: String? = nil) -> Data? {
        let deadline = ContinuousClock.now + limit
        let opened = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard opened >= 0 else { return nil }
        let fd = OwnedDescriptor(adopting: opened)
        let connected = address.bytes.withUnsafeBytes { raw in
            connect(fd.rawValue, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        guard connected == 0 || errno == EINPROGRESS, wait(fd.rawValue, for: Int16(POLLOUT), until: deadline) else { return nil }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd.rawValue, SOL_SOCKET, SO_ERROR, &failure, &length) == 0, failure == 0 else { return nil }
        let credentials = authorization.map { "Authorization: \($0)\r\n" } ?? ""
        let request = Array("GET \(path) HTTP/1.1\r\nHost: edge-video\r\n\(credentials)Connection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let count = request.withUnsafeBytes { send(fd.rawValue, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count > 0 { sent += count } else if errno != EAGAIN || !wait(fd.rawValue, for: Int16(POLLOUT), until: deadline) { return nil }
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd.rawValue, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                response.append(contentsOf: chunk[..<count])
            } else if count == 0 {
                break
            } else if errno != EAGAIN || !wait(fd.rawValue, for: Int16(POLLIN), until: deadline) {
                return nil
            }
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard response.starts(with: Array("HTTP/1.1 200 ".utf8)) || response.starts(with: Array("HTTP/1.0 200 ".utf8)),
            let end = (0...(max(0, response.count - 4))).first(where: { Array(response[$0..<min($0 + 4, response.count)]) == separator })
        else { return nil }
        return Data(response[(end + 4)...])
    }

    /// Polls `fd` for `events` until `deadline`; whether it became ready.
    private static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { return false }
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let milliseconds = Int32(min(60_000, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1))
        return poll(&entry, 1, milliseconds) == 1
    }
}
