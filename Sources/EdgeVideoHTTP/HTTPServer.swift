import DedicatedThread
import Foundation
import Logging
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The bounds that keep a hostile or broken client from holding the endpoint.
package struct HTTPLimits: Sendable {
    /// Most bytes of a request head (request line and headers); past it: 431 and close.
    var maxHeadBytes = 8192
    /// Time a client has to send its whole request head, and then to read the response; past it
    /// the connection is answered 408 (while reading) and closed. Defeats slow clients.
    var requestTimeout: Duration = .seconds(5)
    /// Connections served at once; one more is answered 503 and closed at once.
    var maxConnections = 16

    /// The defaults above.
    package init() {}
}

/// A small HTTP/1.1 server on POSIX sockets: one request per connection, `GET` and `HEAD` only,
/// answered by a synchronous handler that reads snapshots.
///
/// All socket work (accept, recv, send, poll) runs on one dedicated thread (`http`), never on the
/// cooperative pool; cancelling ``run(onListening:)`` wakes the thread through a `WakePipe`, and
/// it closes every connection and the listener before `run` returns (the thread is joined).
package struct HTTPServer: Sendable {
    /// Where to listen.
    let address: SocketAddress
    /// Bounds on clients.
    let limits: HTTPLimits
    /// Answers one request; called on the server thread, so it must not block.
    let handler: @Sendable (HTTPRequestHead) -> HTTPResponse

    /// A server on `address` within `limits`, answering with `handler`.
    package init(address: SocketAddress, limits: HTTPLimits, handler: @escaping @Sendable (HTTPRequestHead) -> HTTPResponse) {
        self.address = address
        self.limits = limits
        self.handler = handler
    }

    /// Listens and serves until cancelled.
    ///
    /// - Parameter onListening: called with the bound port once the socket listens.
    /// - Throws: ``SystemError`` when the socket cannot be opened, bound or listened on;
    ///   `CancellationError` when cancelled.
    package func run(onListening: @Sendable (Int) -> Void) async throws {
        let listener = try openListener()
        let wake: WakePipe
        let thread: DedicatedThread
        do {
            wake = try WakePipe()
            thread = try DedicatedThread(name: "http") { [self, wake] in
                var loop = HTTPServerLoop(listener: listener, wake: wake.readEnd, limits: limits, handler: handler)
                loop.run()
                close(listener)
            }
        } catch let error as WakePipeError {
            close(listener)
            throw SystemError(code: .init(errno: error.errno), operation: "pipe")
        } catch let error as DedicatedThreadError {
            close(listener)
            throw SystemError(code: .init(errno: error.errno), operation: "pthread_create \(error.name)")
        }
        onListening(SocketAddress.boundPort(of: listener) ?? 0)
        await withTaskCancellationHandler {
            await thread.join()
        } onCancel: {
            wake.wake()
        }
        throw CancellationError()
    }

    /// `O_NONBLOCK` and `FD_CLOEXEC` on `fd` (Glibc's module has neither `pipe2` nor `accept4`).
    static func makeNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
    }

    private func openListener() throws -> Int32 {
        let fd = try syscall("socket") { socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0) }
        do {
            var one: Int32 = 1
            try syscall("setsockopt SO_REUSEADDR") { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
            try syscall("bind") {
                address.bytes.withUnsafeBytes { raw in
                    bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
                }
            }
            try syscall("listen") { listen(fd, 64) }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }
}
