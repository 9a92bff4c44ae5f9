import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The server thread's state: the listener, the wake pipe and the open connections.
struct HTTPServerLoop {
    /// One client connection.
    private struct Connection {
        enum Phase { case reading, writing, lingering }
        let fd: Int32
        var phase = Phase.reading
        var input: [UInt8] = []
        var output: [UInt8] = []
        var sent = 0
        var deadline: ContinuousClock.Instant
    }

    let listener: Int32
    let wake: Int32
    let limits: HTTPLimits
    let handler: @Sendable (HTTPRequestHead) -> HTTPResponse
    private var connections: [Connection] = []
    /// Out of descriptors: the listener is left alone until then, instead of spinning on it.
    private var acceptPausedUntil: ContinuousClock.Instant?

    init(listener: Int32, wake: Int32, limits: HTTPLimits, handler: @escaping @Sendable (HTTPRequestHead) -> HTTPResponse) {
        self.listener = listener
        self.wake = wake
        self.limits = limits
        self.handler = handler
    }

    /// Serves until the wake pipe becomes readable, then closes every connection.
    mutating func run() {
        defer { for connection in connections { close(connection.fd) } }
        while true {
            let now = ContinuousClock.now
            expire(now: now)
            if let paused = acceptPausedUntil, paused <= now { acceptPausedUntil = nil }
            let listening = Int16(acceptPausedUntil == nil ? POLLIN : 0)
            var fds = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0), pollfd(fd: listener, events: listening, revents: 0)]
            for connection in connections {
                fds.append(pollfd(fd: connection.fd, events: Int16(connection.phase == .writing ? POLLOUT : POLLIN), revents: 0))
            }
            // Sleeps until an event or the nearest deadline; with none, until an event (no idle wakeups).
            let nearest = (connections.map(\.deadline) + [acceptPausedUntil].compactMap { $0 }).min().map { now.duration(to: $0) }
            let timeout = nearest.map { Int32(max(0, min(1000, $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000 + 1))) } ?? -1
            let ready: Int32?
            do { ready = try syscallUnlessInterrupted("poll") { poll(&fds, nfds_t(fds.count), timeout) } } catch { return }
            // Interrupted by a signal: round again, so that the timeout is worked out anew.
            if ready == nil { continue }
            if fds[0].revents != 0 { return }
            // Connections first (their indices match `fds` from 2 on), then new ones.
            var index = connections.count - 1
            while index >= 0 {
                if fds[index + 2].revents != 0 { service(at: index, events: fds[index + 2].revents) }
                index -= 1
            }
            if fds[1].revents & Int16(POLLIN) != 0 { acceptAll() }
        }
    }

    private mutating func acceptAll() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EMFILE || errno == ENFILE { acceptPausedUntil = .now + .milliseconds(100) }
                return
            }
            HTTPServer.makeNonBlocking(fd)
            if connections.count >= limits.maxConnections {
                let bytes = HTTPResponse.text(.serviceUnavailable, "too many connections").serialized(includingBody: true)
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(fd)
                continue
            }
            connections.append(Connection(fd: fd, deadline: .now + limits.requestTimeout))
        }
    }

    /// Closes connections past their deadline; one still sending its head gets a 408 first.
    private mutating func expire(now: ContinuousClock.Instant) {
        connections.removeAll { connection in
            guard connection.deadline <= now else { return false }
            if connection.phase == .reading {
                let bytes = HTTPResponse.text(.requestTimeout).serialized(includingBody: true)
                _ = bytes.withUnsafeBytes { send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            close(connection.fd)
            return true
        }
    }

    private mutating func service(at index: Int, events: Int16) {
        var connection = connections[index]
        let keep: Bool
        switch connection.phase {
        case .reading: keep = read(&connection)
        case .writing: keep = events & Int16(POLLERR | POLLHUP) == 0 && write(&connection)
        case .lingering: keep = discard(connection)
        }
        if keep {
            connections[index] = connection
        } else {
            close(connection.fd)
            connections.remove(at: index)
        }
    }

    /// Reads what arrived; once the head is complete (or rejected), prepares the response.
    private mutating func read(_ connection: inout Connection) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        guard let received = try? nonBlockingSyscall("recv", { chunk.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) } })
        else { return false }
        guard case .processed(let count) = received else { return true }
        if count == 0 { return false }
        connection.input.append(contentsOf: chunk[..<count])
        let response: HTTPResponse
        var includeBody = true
        switch HTTPRequestHead.parse(connection.input, limit: limits.maxHeadBytes) {
        case .incomplete:
            return true
        case .rejected(let status):
            response = .text(status)
        case .complete(let head):
            response = handler(head)
            includeBody = head.method != "HEAD"
        }
        connection.input = []
        connection.output = response.serialized(includingBody: includeBody)
        connection.phase = .writing
        connection.deadline = .now + limits.requestTimeout
        return write(&connection)
    }

    /// Sends what the socket takes; when all is sent, half-closes and lingers for the client's close.
    private func write(_ connection: inout Connection) -> Bool {
        while connection.sent < connection.output.count {
            let sent = try? nonBlockingSyscall("send") {
                connection.output.withUnsafeBytes { raw in
                    send(connection.fd, raw.baseAddress! + connection.sent, raw.count - connection.sent, Int32(MSG_NOSIGNAL))
                }
            }
            guard let sent else { return false }
            guard case .processed(let count) = sent else { return true }
            connection.sent += count
        }
        // Closing with unread input would reset the connection and could destroy the response at
        // the client: half-close, then read and discard until the client closes (or the deadline).
        shutdown(connection.fd, Int32(SHUT_WR))
        connection.output = []
        connection.phase = .lingering
        connection.deadline = min(connection.deadline, .now + .seconds(1))
        return true
    }

    /// Reads and drops input after the response; `false` once the client has closed.
    private func discard(_ connection: Connection) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        guard let received = try? nonBlockingSyscall("recv", { chunk.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) } })
        else { return false }
        guard case .processed(let count) = received else { return true }
        return count > 0
    }
}
