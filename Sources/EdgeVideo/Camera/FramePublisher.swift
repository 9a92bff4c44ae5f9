import AMQPPublisher
import VideoPipeline

/// The publisher child: turns encoded frames into messages (CONTRACT.md's format) and hands them
/// to the generation's connection, pending messages of earlier generations first.
struct FramePublisher: Sendable {
    let resources: CameraResources
    let connection: PublisherConnection
    let routingKey: String
    let persistent: Bool

    /// Publishes until cancelled. When cancelled (the encoder has already stopped: children stop
    /// in reverse order), publishes what is still queued before returning, so a graceful stop loses
    /// nothing; whatever cannot be accepted is kept for the next generation.
    func run() async throws {
        do {
            while let message = resources.popPending() {
                try await publishOrKeep(message)
            }
            while true {
                let frame = try await resources.encoded.next()
                try await publishOrKeep(message(for: frame))
            }
        } catch is CancellationError {
            // `publish` refuses work in a cancelled task; flush from a task that is not cancelled.
            // It is awaited here, so it cannot outlive this child.
            try await Task { try await flush() }.value
            throw CancellationError()
        }
    }

    /// Publishes everything pending and queued now.
    private func flush() async throws {
        while let message = resources.popPending() {
            try await publishOrKeep(message)
        }
        // The encoder has returned: nothing is pushed meanwhile, so this ends with the queue.
        // A frame that is not accepted (connection gone) is kept as pending; the rest stay queued.
        while let frame = resources.encoded.tryNext() {
            try await publishOrKeep(message(for: frame))
        }
    }

    /// Publishes `message`, or keeps it for the next generation if it was not accepted.
    private func publishOrKeep(_ message: OutgoingMessage) async throws {
        do {
            try await connection.publish(message)
        } catch {
            resources.keepFirst(message)
            throw error
        }
    }

    /// The message for one frame: `message_id` `<camera>-<instance>-<seq>` is stable when the same
    /// message is republished by a later connection.
    func message(for frame: EncodedFrame) -> OutgoingMessage {
        let id = resources.camera.id
        return OutgoingMessage(
            body: frame.jpeg, routingKey: routingKey, messageID: "\(id)-\(resources.instance)-\(frame.seq)",
            contentType: "image/jpeg", deliveryMode: persistent ? 2 : 1,
            timestamp: frame.capturedAtMicros / 1_000_000,
            headers: [
                ("camera_id", .string(id)), ("seq", .int64(frame.seq)), ("width", .int32(Int32(frame.width))),
                ("height", .int32(Int32(frame.height))), ("captured_at_us", .int64(frame.capturedAtMicros)),
            ],
            onSettled: { [observations = resources.observations, capturedAt = frame.capturedAtMicros] settlement in
                observations.settled(settlement, capturedAtMicros: capturedAt)
            })
    }
}
