import Locking
import Logging

/// Logs the frames the broker returns as unroutable (`basic.return`: no queue is bound for their
/// routing key) without a line per frame: the first one, then at most one line per ``interval``
/// with the running count (the status counts every one in `returned`).
///
/// Thread-safety: a small lock; called from the confirm drainer.
final class ReturnLog: Sendable {
    /// The least time between two lines.
    static let interval = Duration.seconds(10)

    private struct State {
        var count = 0
        var lastLine: ContinuousClock.Instant?
    }

    private let state = Locked(State())
    private let logger: Logger
    private let exchange: String
    private let routingKey: String

    /// - Parameters:
    ///   - exchange: the exchange the frames are published to, for the line.
    ///   - routingKey: the camera's routing key, for the line.
    init(logger: Logger, exchange: String, routingKey: String) {
        self.logger = logger
        self.exchange = exchange
        self.routingKey = routingKey
    }

    /// One frame came back; logs it if the last line is older than ``interval``.
    func returned(_ messageID: String, at now: ContinuousClock.Instant = .now) {
        let total: Int? = state.withLock { s in
            s.count += 1
            if let last = s.lastLine, now - last < Self.interval { return nil }
            s.lastLine = now
            return s.count
        }
        guard let total else { return }
        logger.warning("broker returned frames as unroutable: no queue bound to the exchange with this key; counted as returned", metadata: [
            "exchange": "\(exchange)", "routing_key": "\(routingKey)", "message_id": "\(messageID)",
            "returned_by_this_publisher": "\(total)",
        ])
    }
}
