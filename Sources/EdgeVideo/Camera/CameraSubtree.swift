import AMQPPublisher
import Logging
import Supervision
import VideoPipeline

/// One camera's `camera:<id>` subtree: a `oneForAll` supervisor restarting without limit (with
/// backoff) whose generation scope is one AMQP connection generation
/// (``PublisherConnection/withGeneration(configuration:counters:carrying:logger:gracePeriod:_:)``).
/// Children in start order: connection watch, publisher, encoder, capture; they stop in reverse, so
/// a stop halts capture first, lets the encoder finish its frame, publishes what is queued, and the
/// generation then waits for the outstanding confirms (up to the shutdown timeout), closes the
/// connection, joins every thread of the generation and hands the unsettled messages back to
/// ``CameraResources`` for the next generation.
final class CameraSubtree: Sendable {
    /// The camera's persistent resources.
    let resources: CameraResources
    /// The subtree's supervisor (a child of the root).
    let supervisor: Supervisor

    /// Builds the subtree for `resources.camera` with the broker and supervision settings of `config`.
    /// - Parameter generationStarted: called with the generation number when a generation's scope
    ///   begins, before it connects (tests check there that no thread of the previous one is left).
    init(resources: CameraResources, config: AppConfig, logger: Logger,
         generationStarted: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.resources = resources
        var logger = logger
        logger[metadataKey: "camera"] = "\(resources.camera.id)"
        let amqp = CameraSettings.amqp(config.amqp, cameraID: resources.camera.id)
        let pipeline = CameraSettings.pipeline(resources.camera)
        let routingKey = resources.camera.routingKey(template: config.amqp.routingKey)
        let shutdown = CameraSettings.duration(config.supervision.shutdownTimeoutS)
        let persistent = config.amqp.persistent
        let name = resources.camera.id
        supervisor = Supervisor(
            id: "camera:\(resources.camera.id)", strategy: .oneForAll, intensity: .unlimited,
            backoff: CameraSettings.backoff(config.supervision.backoff), logger: logger
        ) { [resources, logger] generation, startChildren in
            generationStarted(generation)
            var unsettled = resources.takePending()
            // Older than anything a publisher kept back meanwhile: they go first next time.
            defer { resources.keepUnsettled(unsettled) }
            try await PublisherConnection.withGeneration(
                configuration: amqp, counters: resources.publisher, carrying: &unsettled, logger: logger,
                gracePeriod: shutdown
            ) { connection in
                let publisher = FramePublisher(
                    resources: resources, connection: connection, routingKey: routingKey, persistent: persistent)
                let capture = Capture(
                    configuration: pipeline, output: resources.captured, counters: resources.pipeline, name: name,
                    logger: logger)
                let encoder = Encoder(
                    configuration: pipeline, input: resources.captured, output: resources.encoded,
                    counters: resources.pipeline, sequence: resources.sequence, name: name)
                // Every child has returned when this does; on a restart as on a stop, confirms then
                // get the shutdown timeout (a dead connection ends at once).
                try await startChildren([
                    ChildSpec(id: "connection", shutdownTimeout: shutdown) { try await connection.waitUntilEnded() },
                    ChildSpec(id: "publisher", shutdownTimeout: shutdown) { try await publisher.run() },
                    ChildSpec(id: "encoder", shutdownTimeout: shutdown) { try await encoder.run() },
                    ChildSpec(id: "capture", shutdownTimeout: shutdown) { try await capture.run() },
                ])
            }
        }
    }

    /// The child spec that puts this subtree under the root.
    var spec: ChildSpec {
        .supervisor(supervisor, restart: .permanent)
    }
}
