import Durations
import Foundation
import Locking
import Logging
import SecretRedaction
import Supervision
import VideoPipeline

/// The real camera tree: a `oneForOne` root supervisor with one ``CameraSubtree`` per camera,
/// changed live by reload steps (`startChild` / `terminateChild`).
public final class SupervisedFleet: CameraFleet {
    private let root: Supervisor
    private let logger: Logger
    private let instance: String
    /// The running subtrees by camera id (what the status reads counters from).
    private let cameras = Locked<[String: CameraSubtree]>([:])
    /// Frame numbers by camera id, kept after a camera is removed so that `seq` (and with it
    /// `message_id`) never repeats for an id within this process.
    private let sequences = Locked<[String: FrameSequence]>([:])

    /// Builds the root for `config` (its supervision settings); cameras are added with ``apply(_:config:)``.
    public init(config: AppConfig, logger: Logger) {
        self.logger = logger
        instance = String(UInt32.random(in: .min ... .max), radix: 36)
        root = Supervisor(
            id: "root", strategy: .oneForOne, intensity: CameraSettings.intensity(config.supervision),
            backoff: CameraSettings.backoff(config.supervision.backoff), logger: logger)
    }

    /// Runs the root until ``stop()``.
    ///
    /// - Throws: the root's `SupervisorError` when it gave up.
    public func run() async throws {
        try await root.run()
    }

    /// Stops every camera gracefully, in reverse start order.
    public func stop() {
        root.stop()
    }

    /// Starts, stops or replaces one camera subtree. Replacing keeps the camera's queues (frames
    /// in them go to the new subtree), counters and frame numbers, and returns once the new
    /// subtree is connected and running (or backing off), so steps apply one camera at a time.
    public func apply(_ step: ConfigDiff.Step, config: AppConfig) async throws {
        switch step {
        case .start(let camera):
            let sequence = sequences.withLock { table in
                if let kept = table[camera.id] { return kept }
                let fresh = FrameSequence()
                table[camera.id] = fresh
                return fresh
            }
            let subtree = CameraSubtree(
                resources: CameraResources(camera: camera, sequence: sequence, instance: instance), config: config,
                logger: logger)
            cameras.withLock { $0[camera.id] = subtree }
            try await root.startChild(subtree.spec)
            logger.info("camera added", metadata: ["camera": "\(camera.id)"])
        case .stop(let id):
            try await root.terminateChild(id: "camera:\(id)")
            let removed = cameras.withLock { $0.removeValue(forKey: id) }
            removed?.resources.observations.destroy()
            logger.info("camera removed", metadata: ["camera": "\(id)"])
        case .restart(let camera):
            guard let old = cameras.withLock({ $0[camera.id] }) else {
                return try await apply(.start(camera), config: config)
            }
            try await root.terminateChild(id: "camera:\(camera.id)")
            let subtree = CameraSubtree(
                resources: CameraResources(camera: camera, reusing: old.resources), config: config, logger: logger)
            cameras.withLock { $0[camera.id] = subtree }
            try await root.startChild(subtree.spec)
            await waitUntilSettled(subtree, within: Duration(secondsSaturating: config.amqp.connectTimeoutS * 2 + 5))
            logger.info(
                "camera restarted with the new configuration",
                metadata: ["camera": "\(camera.id)", "state": "\(subtree.supervisor.snapshot().state.rawValue)"])
        }
    }

    /// Starts `spec` under the root (the HTTP endpoint).
    public func startService(_ spec: ChildSpec) async throws {
        try await root.startChild(spec)
    }

    /// Stage counters and queue depths by camera id.
    public func cameraDetails() -> [String: CameraDetail] {
        cameras.withLock { $0 }.mapValues { subtree in
            let resources = subtree.resources
            return CameraDetail(
                pipeline: resources.pipeline.snapshot(), publisher: resources.publisher.snapshot(),
                captureQueueDepth: resources.captured.count, encodeQueueDepth: resources.encoded.count,
                pending: resources.pendingCount)
        }
    }

    /// The camera's last encoded JPEG, shared from memory (no copy, no encode).
    public func latestFrame(of cameraID: String) -> LatestFrame {
        guard let subtree = cameras.withLock({ $0[cameraID] }) else { return .unknownCamera }
        return subtree.resources.observations.latestFrame.map(LatestFrame.frame) ?? .noFrameYet
    }

    /// Waits (polling the subtree's state) until it runs and is connected to the broker (or had a
    /// broker failure), or backs off, or `limit` passed.
    private func waitUntilSettled(_ subtree: CameraSubtree, within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let state = subtree.supervisor.snapshot().state
            let link = subtree.resources.link.snapshot
            if state == .running && (link.connected || link.lastError != nil) || state == .backingOff || state == .failed {
                return
            }
            do { try await Task.sleep(for: .milliseconds(50)) } catch { return }
        }
    }

    /// The tree and counters now.
    public func snapshot() -> FleetSnapshot {
        let tree = root.snapshot()
        let subtrees = cameras.withLock { $0 }
        var statuses: [String: CameraStatus] = [:]
        for (id, subtree) in subtrees {
            let node = tree.children.first { $0.id == "camera:\(id)" }
            statuses[id] = Self.status(of: subtree, node: node)
        }
        return FleetSnapshot(
            tree: Self.node(tree), liveTasks: tree.liveTasks, cameras: statuses,
            overdue: tree.overdueShutdownPaths())
    }

    static func status(of subtree: CameraSubtree, node: SupervisorSnapshot?) -> CameraStatus {
        let ledger = subtree.resources.ledger.counts  // one read: the identities hold
        let publisher = subtree.resources.publisher.snapshot()
        let link = subtree.resources.link.snapshot
        var status = CameraStatus(state: node?.state ?? .starting)
        status.broker = link.connected ? "connected" : "disconnected"
        status.brokerProblem = link.problem.map { Redaction.redactingSecrets(in: $0.description) }
        status.framesCaptured = ledger.captured
        status.framesEncoded = ledger.encoded
        status.queuedForEncode = ledger.queuedForEncode
        status.queuedForPublish = ledger.queuedForPublish
        status.inFlight = ledger.inFlight
        status.confirmed = ledger.confirmed
        status.droppedBeforeEncode = ledger.droppedBeforeEncode
        status.droppedAfterEncode = ledger.droppedAfterEncode
        status.nacked = ledger.nacked
        status.returned = ledger.returned
        status.rejected = ledger.rejected
        status.dropped = ledger.droppedBeforeEncode + ledger.droppedAfterEncode
        status.published = publisher.published
        status.reconnects = publisher.reconnects
        status.restarts = node?.restarts ?? 0
        // While the broker is away, its error; else why the subtree last exited.
        let error = (node?.state == .running ? link.lastError : nil) ?? node?.lastExit
        status.lastError = error.map(Redaction.redactingSecrets(in:))
        return status
    }

    /// The supervision snapshot in the status document's node shape.
    static func node(_ snapshot: SupervisorSnapshot) -> StatusNode {
        let isSupervisor = snapshot.kind == .supervisor
        return StatusNode(
            id: snapshot.id, kind: snapshot.kind.rawValue, strategy: snapshot.strategy?.rawValue,
            state: snapshot.state, restarts: snapshot.restarts,
            lastExit: snapshot.lastExit.map(Redaction.redactingSecrets(in:)), liveTasks: isSupervisor ? snapshot.liveTasks : nil,
            children: isSupervisor ? snapshot.children.map(node) : nil)
    }
}

extension ApplianceRunner {
    /// The runner of `edge-video run`: the camera tree is a ``SupervisedFleet``.
    public init(configPath: String) {
        self.init(configPath: configPath) { config, logger in SupervisedFleet(config: config, logger: logger) }
    }
}
