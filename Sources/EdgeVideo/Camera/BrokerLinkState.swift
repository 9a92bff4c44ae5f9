import AMQPPublisher
import Foundation
import Locking

/// The state of one camera's broker link as the status shows it: connected (to which broker of
/// `amqp.urls`) or not, and why not.
///
/// Thread-safety: a `Watched` box; written by the publisher child and its confirms, read by the
/// status, waited on by a reload that restarts the camera.
final class BrokerLinkState: Sendable {
    /// A copy at one instant.
    struct Snapshot: Sendable, Hashable {
        /// Whether a connection is open, and if not, why.
        var connection: Connection = .disconnected(lastError: nil)
        /// Why frames do not get through although connections open; kept until the broker
        /// confirms a frame again.
        var problem: Problem?

        /// Why the last connection ended or the last attempt failed, while not connected.
        var lastError: String? {
            guard case .disconnected(let lastError) = connection else { return nil }
            return lastError
        }

        /// The redacted URL of the broker the link is connected to, while connected: with several
        /// `amqp.urls` (tried in order) the operator sees which one took the camera.
        var url: String? {
            guard case .connected(let url) = connection else { return nil }
            return url
        }
    }

    /// Whether a connection is open and publishing.
    enum Connection: Sendable, Hashable {
        /// A connection is open and publishing, to the broker at `url` (redacted: the password
        /// shows as `***`).
        case connected(url: String)
        /// No connection is open: why the last one ended or the last attempt failed (redacted),
        /// or `nil` when none failed (not tried yet, or the publisher stopped a working one).
        case disconnected(lastError: String?)
    }

    /// Why the broker does not take the camera's frames, when connecting is not the trouble.
    enum Problem: Sendable, Hashable, CustomStringConvertible {
        /// The broker closed the channel or connection over the link, not over a frame (a
        /// permission, a deleted exchange): the frames are kept and retried.
        case refused(BrokerClose)
        /// Frames came back unroutable (`basic.return`): `frames` since the last confirm.
        case unroutable(frames: Int, exchange: String, routingKey: String)

        /// `broker refused: 403 ACCESS_REFUSED - ...`, or `12 frames returned unroutable: no queue
        /// bound to exchange "x" with key "camera.a.frame"`.
        var description: String {
            switch self {
            case .refused(let close):
                "broker refused: \(close.reply)"
            case .unroutable(let frames, let exchange, let routingKey):
                "\(frames) frame\(frames == 1 ? "" : "s") returned unroutable: no queue bound to exchange \"\(exchange)\" with key \"\(routingKey)\""
            }
        }

        /// The refusal `error` carries: a close that blames the link, other than an operator's
        /// or a stopping broker's 320 CONNECTION_FORCED (an outage, not a refusal).
        static func refusal(in error: AMQPPublisherError) -> BrokerClose? {
            guard let close = error.brokerClose, close.fault == .connection, close.replyCode != .connectionForced else { return nil }
            return close
        }
    }

    private let state = Watched(Snapshot())

    init() {}

    /// The state now.
    var snapshot: Snapshot { state.value }

    /// Suspends until the state satisfies `predicate` (at once if it does now), and returns it.
    /// - Throws: `CancellationError` when the calling task is cancelled first.
    func wait(until predicate: @escaping @Sendable (Snapshot) -> Bool) async throws -> Snapshot {
        try await state.wait(until: predicate)
    }

    /// A connection opened, to the broker at `url` (redacted; ``PublisherConnection/connectedURL``).
    func connected(to url: String) {
        state.update { $0.connection = .connected(url: url) }
    }

    /// The connection ended or an attempt failed. A refusal (``Problem/refusal(in:)``) becomes
    /// the link's problem.
    func disconnected(_ error: AMQPPublisherError) {
        state.update { s in
            s.connection = .disconnected(lastError: error.description)
            if let close = Problem.refusal(in: error) { s.problem = .refused(close) }
        }
    }

    /// The broker returned a frame as unroutable.
    func returned(exchange: String, routingKey: String) {
        state.update { s in
            guard case .unroutable(let frames, _, _) = s.problem else {
                s.problem = .unroutable(frames: 1, exchange: exchange, routingKey: routingKey)
                return
            }
            s.problem = .unroutable(frames: frames + 1, exchange: exchange, routingKey: routingKey)
        }
    }

    /// The broker confirmed a frame: whatever the problem was, it is over.
    /// - Returns: the problem that ended, if there was one.
    func confirmed() -> Problem? {
        state.update { s in
            defer { s.problem = nil }
            return s.problem
        }
    }

    /// The publisher stopped (the subtree is stopping or restarting): an open connection is
    /// gone; the last failure, if the link was down, stays.
    func stopped() {
        state.update { s in
            if case .connected = s.connection { s.connection = .disconnected(lastError: nil) }
        }
    }
}
