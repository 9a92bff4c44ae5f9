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
        // Closed by this owner if the server thread cannot be started, else by that thread.
        let listener = try openListener()
        // Read while this owner holds the number: once the thread runs, it may close it.
        let port = SocketAddress.boundPort(of: listener.rawValue)
        let wake: WakePipe
        let thread: DedicatedThread
        do {
            wake = try WakePipe()
            thread = try DedicatedThread(name: "http") { [self, wake, listener = listener.rawValue] in
                Self.serve(OwnedDescriptor(adopting: listener), wake: wake, limits: limits, handler: handler)
            }
        } catch let error as WakePipeError {
            throw SystemError(code: .init(errno: error.errno), operation: "pipe")
        } catch let error as DedicatedThreadError {
            throw SystemError(code: .init(errno: error.errno), operation: "pthread_create \(error.name)")
        }
        // The thread owns the listener from its start; this owner lets go without closing it.
        _ = listener.release()
        onListening(port ?? 0)
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

    /// The server thread's work: serves on `listener` until the wake pipe is written, then closes
    /// every connection and, as its owner goes, the listener.
    private static func serve(
        _ listener: consuming OwnedDescriptor, wake: WakePipe, limits: HTTPLimits, handler: @escaping @Sendable (HTTPRequestHead) -> HTTPResponse
    ) {
        var loop = HTTPServerLoop(listener: listener.rawValue, wake: wake.readEnd, limits: limits, handler: handler)
        loop.run()
        _ = consume listener
    }

    /// A socket bound to ``address`` and listening; closed again if a step fails.
    ///
    /// - Throws: ``SystemError`` naming the failing call.
    private func openListener() throws(SystemError) -> OwnedDescriptor {
        let fd = OwnedDescriptor(
            adopting: try syscall("socket") { socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0) }
        )
        var one: Int32 = 1
        try syscall("setsockopt SO_REUSEADDR") { setsockopt(fd.rawValue, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
        try syscall("bind") {
            address.bytes.withUnsafeBytes { raw in
                bind(fd.rawValue, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
        }
        try syscall("listen") { listen(fd.rawValue, 64) }
        return fd
    }
}
