import AMQPPublisher
import Logging
import Supervision
import VideoPipeline

/// One camera's `camera:<id>` subtree: a `oneForAll` supervisor restarting without limit (with
/// backoff) whose generation scope owns the AMQP connection. Children in start order: confirm
/// drainer, publisher, encoder, capture; they stop in reverse, so a stop halts capture first,
/// lets the encoder finish its frame, publishes what is queued, and the scope then waits for the
/// outstanding confirms (up to the shutdown timeout) before it closes the connection.
final class CameraSubtree: Sendable {
    /// The camera's persistent resources.
    let resources: CameraResources
    /// The subtree's supervisor (a child of the root).
    let supervisor: Supervisor

    /// Builds the subtree for `resources.camera` with the broker and supervision settings of `config`.
    init(resources: CameraResources, config: AppConfig, logger: Logger) {
        self.resources = resources
        var logger = logger
        logger[metadataKey: "camera"] = "\(resources.camera.id)"
        let amqp = CameraSettings.amqp(config.amqp, cameraID: resources.camera.id)
        let pipeline = CameraSettings.pipeline(resources.camera)
        let routingKey = resources.camera.routingKey(template: config.amqp.routingKey)
        let shutdown = CameraSettings.duration(config.supervision.shutdownTimeoutS)
        let persistent = config.amqp.persistent
        supervisor = Supervisor(
            id: "camera:\(resources.camera.id)", strategy: .oneForAll, intensity: .unlimited,
            backoff: CameraSettings.backoff(config.supervision.backoff), logger: logger
        ) { [resources, logger] _, startChildren in
            let connection = PublisherConnection(
                configuration: amqp, counters: resources.publisher, republishing: resources.takePending(), logger: logger)
            do {
                try await connection.connect()
            } catch {
                resources.keep(connection.takeUnconfirmed())
                throw error
            }
            let publisher = FramePublisher(
                resources: resources, connection: connection, routingKey: routingKey, persistent: persistent)
            let capture = Capture(configuration: pipeline, output: resources.captured, counters: resources.pipeline)
            let encoder = Encoder(
                configuration: pipeline, input: resources.captured, output: resources.encoded,
                counters: resources.pipeline, sequence: resources.sequence,
                onEncoded: { [observations = resources.observations] frame, duration in
                    observations.encoded(frame, in: duration)
                })
            let children = [
                ChildSpec(id: "confirm-drainer", shutdownTimeout: shutdown) { try await connection.runConfirmDrainer() },
                ChildSpec(id: "publisher", shutdownTimeout: shutdown) { try await publisher.run() },
                ChildSpec(id: "encoder", shutdownTimeout: shutdown) { try await encoder.run() },
                ChildSpec(id: "capture", shutdownTimeout: shutdown) { try await capture.run() },
            ]
            do {
                try await startChildren(children)
            } catch {
                await connection.close()
                resources.keep(connection.takeUnconfirmed())
                throw error
            }
            // Every child has returned; on a restart as on a stop, confirms get the shutdown timeout
            // (a dead connection ends at once), the rest is republished by the next generation.
            await connection.close(gracePeriod: shutdown)
            resources.keep(connection.takeUnconfirmed())
        }
    }

    /// The child spec that puts this subtree under the root.
    var spec: ChildSpec {
        .supervisor(supervisor, restart: .permanent)
    }
}
