import CRabbitMQ
import Durations
import Glibc
internal import SystemCalls

extension RabbitConnection {
    /// The most messages encoded per write: their bodies stay pinned (one stack frame each) while
    /// the write runs.
    static let messagesPerWrite = 256
    /// The most vectors one `sendmsg` takes (`IOV_MAX`, 1,024 on Linux).
    static let vectorsPerCall = max(16, sysconf(Int32(_SC_IOV_MAX)))

    /// Whether this connection writes its batches itself (plain TCP). A TLS connection publishes
    /// each message through rabbitmq-c, whose TLS socket cannot be written raw.
    var writesBatches: Bool { frames != nil }

    /// Sends a batch of `basic.publish`es, each with its content, in as few `sendmsg` calls as the
    /// socket takes: the frames rabbitmq-c would send (``PublishFrames``), the bodies not copied.
    /// Blocks while the socket is full. Only for a connection that ``writesBatches``.
    ///
    /// rabbitmq-c does not see these writes. It has no send state to disturb (its sends complete
    /// before it returns), and what it keeps for heartbeats still holds: it checks the broker's
    /// heartbeat on every read, which the connection loop makes at least every half heartbeat;
    /// it only sends a heartbeat frame of its own that a busy connection would not need.
    /// - Parameters:
    ///   - messages: the batch, in order.
    ///   - stallLimit: how long the socket may take no byte before the write fails. The watchdog,
    ///     which shuts the socket down, normally ends a stuck write before this.
    ///   - progress: called after each write that moved bytes, with how many more messages of the
    ///     batch are now written in full (0 when the write ended inside a message).
    /// - Throws: ``AMQPPublisherError`` `connectionLost` when the socket fails or stays full; a
    ///   message's properties that do not fit in one frame fail as on rabbitmq-c's path, after the
    ///   messages before it were written.
    func publish(
        _ messages: some Collection<OutgoingMessage>, mandatory: Bool, persistent: Bool, stallLimit: Duration,
        progress: (_ completed: Int) -> Void
    ) throws {
        guard let frames else { throw AMQPPublisherError(.misuse, "batch write on a TLS connection") }
        defer { frames.reset() }  // lets go of the bodies
        var iterator = messages.makeIterator()
        var next = iterator.next()
        while next != nil {
            frames.reset()
            var failure: Int32?
            while let message = next, frames.messageCount < Self.messagesPerWrite {
                let status = frames.append(message, mandatory: mandatory, persistent: persistent)
                if status != AMQP_STATUS_OK.rawValue {
                    failure = status
                    break
                }
                next = iterator.next()
            }
            try write(frames, stallLimit: stallLimit, progress: progress)
            if let failure { try check(failure, .connectionLost, "publishing") }
        }
    }

    /// Writes what `frames` holds with `sendmsg`, resuming after partial writes and waiting in `poll`
    /// while the (non-blocking) socket is full.
    private func write(_ frames: PublishFrames, stallLimit: Duration, progress: (Int) -> Void) throws {
        guard frames.messageCount > 0 else { return }
        let socket = socketDescriptor
        try frames.withIOVecs { vectors, count in
            var first = 0, written = 0, completed = 0
            var lastProgress = ContinuousClock.now
            while first < count {
                var header = msghdr()
                header.msg_iov = vectors + first
                header.msg_iovlen = min(count - first, Self.vectorsPerCall)
                let result = Result { () throws(SystemError) in
                    try nonBlockingSyscall("sendmsg") { sendmsg(socket, &header, Int32(MSG_NOSIGNAL)) }
                }
                if case .success(.processed(let sent)) = result, sent > 0 {
                    written += sent
                    var left = sent
                    while left > 0 {
                        if left >= vectors[first].iov_len {
                            left -= vectors[first].iov_len
                            first += 1
                        } else {
                            vectors[first].iov_base += left
                            vectors[first].iov_len -= left
                            left = 0
                        }
                    }
                    let before = completed
                    while completed < frames.messageCount, frames.messageEnds[completed] <= written { completed += 1 }
                    progress(completed - before)
                    lastProgress = .now
                    continue
                }
                guard case .success(.wouldBlock) = result else {
                    // Failed, or took nothing (0: the peer has gone).
                    if case .failure(let error) = result { errno = error.code.errno } else { errno = EPIPE }
                    try check(AMQP_STATUS_SOCKET_ERROR.rawValue, .connectionLost, "publishing")
                    return
                }
                let left = stallLimit - lastProgress.duration(to: .now)
                guard left > .zero else {
                    throw AMQPPublisherError(.connectionLost, "publishing \(endpoint): the socket took no byte for \(stallLimit)")
                }
                // Wakes when there is room, or when the socket fails or is shut down (the next
                // `sendmsg` then reports it).
                var descriptor = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
                _ = poll(&descriptor, 1, Int32(clamping: max(1, left.milliseconds)))
            }
        }
    }
}
