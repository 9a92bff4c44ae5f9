/// The lifecycle of one connection generation, as a pure value: each event returns the action the
/// connection must perform. ``PublisherConnection`` keeps it under its lock with the rest of
/// ``GenerationState``, so the transitions are testable without a broker or a thread.
///
/// ```
/// created ──connect──▶ connecting ──connected──▶ open ──close──▶ closing ──threadReturned──▶ ended
///                      (socketOpened / socketReleased per URL tried)
///    │                     │ └──────────close──────────────────────▲                          ▲
///    └────close────────────┼──────────────────────────────────────────────────────────────────┤
///                          └──threadReturned (every URL failed) / threadFailedToStart──────────┘
/// ```
struct ConnectionLifecycle: Sendable {
    enum State: Equatable, Sendable {
        /// Nothing started yet.
        case created
        /// The connection thread is trying the URLs in turn; `socket` while one is open (its
        /// handshake runs).
        case connecting(socket: Int32?)
        /// Connected, with one confirm-mode channel; `socket` is the connection's descriptor.
        case open(socket: Int32)
        /// Going down (asked to close, or the connection failed) while the thread still runs;
        /// `socket` until the thread lets go of the descriptor.
        case closing(socket: Int32?)
        /// The thread has returned (or never started): why the connection ended.
        case ended(AMQPPublisherError)
    }

    enum Event: Sendable {
        /// `connect()` was called.
        case connect
        /// The system refused the connection thread.
        case threadFailedToStart(AMQPPublisherError)
        /// A socket is open to a broker and its handshake begins.
        case socketOpened(socket: Int32)
        /// The thread has connected and selected confirms.
        case connected(socket: Int32)
        /// The owner asks the connection to end (`close()`, or a cancelled connect).
        case close
        /// The socket must be shut down now (the watchdog, a stuck close, a cancelled connect).
        case cut(AMQPPublisherError)
        /// The thread lets go of its socket (a failed handshake, or the loop is over); the descriptor is
        /// closed next.
        case socketReleased
        /// The thread returns: `nil` when it stopped because it was asked to, else why it ended.
        case threadReturned(AMQPPublisherError?)
    }

    enum Action: Equatable, Sendable {
        case none
        /// Start the connection thread.
        case startThread
        /// Wake the thread from `poll` so it sees the request.
        case wakeThread
        /// `shutdown(2)` the socket (under the lock: the thread owns the descriptor).
        case shutDown(socket: Int32)
        /// Resume the connect waiter: connected.
        case connectSucceeded
        /// The connection has ended: fail the connect waiter and the publishers waiting for room,
        /// wake every condition waiter.
        case ended(AMQPPublisherError)
        /// Refuse the call with this error; nothing changed.
        case refuse(AMQPPublisherError)
    }

    private(set) var state = State.created
    /// The first reason the socket was cut; it is reported instead of the socket error it causes.
    private(set) var cutReason: AMQPPublisherError?

    /// Whether the thread must stop (stop trying URLs, leave its loop).
    var isStopping: Bool {
        if case .closing = state { true } else { false }
    }

    /// Whether the connection has ended.
    var isEnded: Bool {
        if case .ended = state { true } else { false }
    }

    /// Why the connection ended, once it has.
    var endError: AMQPPublisherError? {
        if case .ended(let error) = state { error } else { nil }
    }

    /// Applies `event` and returns what the connection must do.
    mutating func handle(_ event: Event) -> Action {
        switch (state, event) {
        case (.created, .connect):
            state = .connecting(socket: nil)
            return .startThread
        case (.ended, .connect):
            return .refuse(AMQPPublisherError(.closed, "closed before connecting"))
        case (_, .connect):
            return .refuse(AMQPPublisherError(.misuse, "connect() called twice"))

        case (.connecting, .threadFailedToStart(let error)), (.closing, .threadFailedToStart(let error)):
            return end(error)
        case (_, .threadFailedToStart):
            return .none

        case (.connecting, .socketOpened(let socket)):
            state = .connecting(socket: socket)
            return cutReason == nil ? .none : .shutDown(socket: socket)
        case (.closing, .socketOpened(let socket)):
            // Asked to stop before this socket existed: abort its handshake.
            state = .closing(socket: socket)
            return abortHandshake(socket)
        case (_, .socketOpened):
            return .none

        case (.connecting, .connected(let socket)):
            state = .open(socket: socket)
            return .connectSucceeded
        case (.closing, .connected(let socket)):
            // Asked to close while connecting: the loop stops at once; the connect waiter gets the end.
            state = .closing(socket: socket)
            return .none
        case (_, .connected):
            return .none

        case (.created, .close):
            return end(AMQPPublisherError(.closed, "connection closed"))
        case (.connecting(nil), .close):
            state = .closing(socket: nil)
            return .wakeThread
        case (.connecting(let socket?), .close):
            // rabbitmq-c's handshake waits in its own `poll`: only a shut-down socket ends it now.
            state = .closing(socket: socket)
            return abortHandshake(socket)
        case (.open(let socket), .close):
            state = .closing(socket: socket)
            return .wakeThread
        case (_, .close):
            return .none

        case (.created, .cut), (.ended, .cut):
            return .none
        case (.connecting(nil), .cut(let reason)), (.closing(nil), .cut(let reason)):
            if cutReason == nil { cutReason = reason }
            return .none
        case (.connecting(let socket?), .cut(let reason)), (.open(let socket), .cut(let reason)),
            (.closing(let socket?), .cut(let reason)):
            if cutReason == nil { cutReason = reason }
            return .shutDown(socket: socket)

        case (.connecting, .socketReleased):
            state = .connecting(socket: nil)
            return .none
        case (.open, .socketReleased), (.closing, .socketReleased):
            state = .closing(socket: nil)
            return .none
        case (_, .socketReleased):
            return .none

        case (.connecting, .threadReturned(let error)), (.open, .threadReturned(let error)),
            (.closing, .threadReturned(let error)):
            guard let error else { return end(AMQPPublisherError(.closed, "connection closed")) }
            return end(cutReason ?? error)
        case (_, .threadReturned):
            return .none
        }
    }

    /// Shuts down a socket in its handshake because the owner asked to close. The handshake then
    /// fails, and the thread may return before any ``Event/cut(_:)`` arrives: the close is the
    /// reason, not the socket error it causes.
    private mutating func abortHandshake(_ socket: Int32) -> Action {
        if cutReason == nil { cutReason = AMQPPublisherError(.closed, "closed while connecting") }
        return .shutDown(socket: socket)
    }

    private mutating func end(_ error: AMQPPublisherError) -> Action {
        state = .ended(error)
        return .ended(error)
    }
}
