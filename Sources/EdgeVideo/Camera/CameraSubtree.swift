import AMQPPublisher
import DedicatedThread
import Durations
import EdgeVideoConfig
import Logging
import Supervision
import VideoPipeline

/// One camera's `camera:<id>` subtree: a `oneForAll` supervisor restarting without limit (with
/// backoff). Children in start order: publisher (which owns the broker connections and their
/// confirm drainer, and rides out broker outages by itself), encoder, capture; they stop in
/// reverse, so a stop halts capture first, lets the encoder finish its frames, publishes what is
/// queued and waits for the outstanding confirms (within the shutdown timeout) before the
/// connection closes.
final class CameraSubtree: Sendable {
    /// The camera's persistent resources.
    let resources: CameraResources
    /// The subtree's supervisor (a child of the root).
    let supervisor: Supervisor

    /// Builds the subtree for `resources.camera` with the broker and supervision settings of `config`.
    /// - Parameter generationStarted: called with the generation number when a generation's scope
    ///   begins (tests check there that no thread of the previous one is left).
    init(resources: CameraResources, config: AppConfig, logger: Logger,
         generationStarted: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.resources = resources
        var logger = logger
        logger[metadataKey: "camera"] = "\(resources.camera.id)"
        let amqp = CameraSettings.amqp(config.amqp, cameraID: resources.camera.id)
        let pipeline = CameraSettings.pipeline(resources.camera)
        let shutdown = Duration(secondsSaturating: config.supervision.shutdownTimeoutS)
        // The confirms of a stop get what the shutdown timeout leaves after the flush and the close.
        let settleGrace = max(shutdown / 2, shutdown - .seconds(3))
        let persistent = config.amqp.persistent
        let name = resources.camera.id
        supervisor = Supervisor(
            id: FleetChild.camera(resources.camera.id).id, strategy: .oneForAll, intensity: .unlimited,
            backoff: CameraSettings.backoff(config.supervision.backoff), logger: logger
        ) { [resources, logger] generation, startChildren in
            generationStarted(generation)
            let publisher = FramePublisher(
                resources: resources, configuration: amqp, persistent: persistent,
                settleGrace: settleGrace, logger: logger)
            let capture = Capture(
                configuration: pipeline, output: resources.captured, counters: resources.pipeline, name: name,
                logger: logger)
            let encoder = Encoder(
                configuration: pipeline, input: resources.captured,
                counters: resources.pipeline, sequence: resources.sequence, name: name,
                onEncoded: { [observations = resources.observations] frame, duration in
                    observations.encoded(frame, in: duration)
                },
                deliver: { [outbox = resources.outbox] frame in outbox.push(frame) })
            // One thread for the generation's encoder and publisher (with its confirm drainer): the
            // encoder encodes on it, and a JPEG it queues is taken by the publisher on the same
            // thread, with no cooperative-pool thread woken per frame (docs/architecture.md,
            // "Threads"). It outlives every child of the generation and is joined before the
            // scope returns.
            try await DedicatedExecutor.withDedicatedExecutor(name: String("enc-\(name)".prefix(15))) { executor in
                try await startChildren([
                    ChildSpec(id: "publisher", shutdownTimeout: shutdown) {
                        try await withTaskExecutorPreference(executor) { try await publisher.run() }
                    },
                    ChildSpec(id: "encoder", shutdownTimeout: shutdown) { try await encoder.run(on: executor) },
                    ChildSpec(id: "capture", shutdownTimeout: shutdown) { try await capture.run() },
                ])
            }
        }
    }

    /// The child spec that puts this subtree under the root.
    var spec: ChildSpec {
        .supervisor(supervisor, restart: .permanent)
    }

    /// The root's child that publishes what a camera left behind, then ends: the frames queued
    /// and spooled by a camera that a reload removed, or found in the spool at start for a camera
    /// the configuration no longer has. Its publisher runs on a thread of its own (`drn-<id>`),
    /// joined when it ends; a broker outage is ridden out as a camera's is, and a configuration
    /// fault (credentials, TLS) is retried with the camera backoff, inside the child, so that it
    /// never counts against the root's restart intensity.
    ///
    /// - Parameter drained: called once everything is settled, before the child returns.
    static func drain(
        resources: CameraResources, config: AppConfig, logger: Logger, drained: @escaping @Sendable () -> Void
    ) -> ChildSpec {
        var logger = logger
        logger[metadataKey: "camera"] = "\(resources.camera.id)"
        let shutdown = Duration(secondsSaturating: config.supervision.shutdownTimeoutS)
        let publisher = FramePublisher(
            resources: resources, configuration: CameraSettings.amqp(config.amqp, cameraID: resources.camera.id),
            persistent: config.amqp.persistent, settleGrace: max(shutdown / 2, shutdown - .seconds(3)), logger: logger,
            untilDrained: true)
        let backoff = CameraSettings.backoff(config.supervision.backoff)
        let name = String("drn-\(resources.camera.id)".prefix(15))
        return ChildSpec(id: FleetChild.drain(resources.camera.id).id, restart: .temporary, shutdownTimeout: shutdown) { [logger] in
            try await DedicatedExecutor.withDedicatedExecutor(name: name) { executor in
                try await withTaskExecutorPreference(executor) {
                    var retry = BackoffSchedule(backoff)
                    while true {
                        do {
                            try await publisher.run()
                            break
                        } catch is CancellationError {
                            throw CancellationError()
                        } catch {
                            logger.error("drain failed; retrying", metadata: ["error": "\(error)"])
                            try await Task.sleep(for: retry.nextDelay())
                        }
                    }
                }
            }
            drained()
        }
    }
}
