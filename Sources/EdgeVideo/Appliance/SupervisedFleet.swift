import Durations
import EdgeVideoConfig
import Foundation
import Locking
import Logging
import SecretRedaction
import Supervision
import VideoPipeline

/// The real camera tree: a `oneForOne` root supervisor with one ``CameraSubtree`` per camera,
/// changed live by reload steps (`startChild` / `terminateChild`).
package final class SupervisedFleet: CameraFleet {
    private let root: Supervisor
    private let logger: Logger
    private let instance: String
    /// The configuration the fleet was made with (orphaned spool streams drain with its broker).
    private let initial: AppConfig
    /// The appliance's spool.
    private let spool: SpoolLink
    /// The running subtrees by camera id (what the status reads counters from).
    private let cameras = Locked<[String: CameraSubtree]>([:])
    /// What removed cameras (and cameras found only in the spool) left behind, by camera id, while
    /// their `drain:<id>` child publishes it.
    private let drains = DrainTable()
    /// Frame numbers by camera id, kept after a camera is removed so that `seq` (and with it
    /// `message_id`) never repeats for an id within this process.
    private let sequences = Locked<[String: FrameSequence]>([:])
    /// Ledgers of the streams the spool held at start, until their camera (or drain) takes them:
    /// made before anything is appended, so every discard of their frames is counted.
    private let recovered = Locked<[String: FrameLedger]>([:])

    /// Builds the root for `config` (its supervision settings); cameras are added with ``apply(_:config:)``.
    /// - Parameter spool: the appliance's spool, opened by the caller for the fleet's whole life.
    package convenience init(config: AppConfig, logger: Logger) {
        self.init(config: config, logger: logger, spool: .none)
    }

    init(config: AppConfig, logger: Logger, spool: SpoolLink) {
        self.logger = logger
        self.spool = spool
        initial = config
        instance = String(UInt32.random(in: .min ... .max), radix: 36)
        root = Supervisor(
            id: "root", strategy: .oneForOne, intensity: CameraSettings.intensity(config.supervision),
            backoff: CameraSettings.backoff(config.supervision.backoff), logger: logger)
        if let store = spool.spool {
            let found = store.recovered
            recovered.withLock { table in
                for (stream, count) in found where count > 0 {
                    let ledger = FrameLedger()
                    ledger.recovered(count)
                    spool.register(ledger, for: stream)
                    table[stream] = ledger
                }
            }
            if !found.isEmpty {
                logger.notice("frames found in the spool; publishing them", metadata: [
                    "frames": "\(found.values.reduce(0, +))", "cameras": "\(found.keys.sorted().joined(separator: ","))",
                ])
            }
        }
    }

    /// Runs the root until ``stop()``; cameras found only in the spool drain meanwhile. Once the
    /// tree has stopped, what is still in memory (the broker was away) goes to the spool.
    ///
    /// - Throws: the root's `SupervisorError` when it gave up.
    package func run() async throws {
        defer { spoolLeftovers() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.root.run() }
            let configured = Set(initial.cameras.map(\.id))
            let orphans = recovered.withLock { table in
                table.filter { !configured.contains($0.key) }.sorted { $0.key < $1.key }
            }
            for (id, ledger) in orphans {
                _ = recovered.withLock { $0.removeValue(forKey: id) }
                var camera = AppConfig.Camera(id: id, url: "")
                camera.queueCapacity = 1
                let resources = CameraResources(
                    camera: camera, sequence: sequence(for: id), instance: instance,
                    routingKey: camera.routingKey(template: initial.amqp.routingKey), spool: spool, ledger: ledger)
                do { try await startDrain(resources, config: initial) } catch {
                    logger.error("cannot drain a camera found in the spool", metadata: ["camera": "\(id)", "error": "\(error)"])
                }
            }
            try await group.waitForAll()
        }
    }

    /// Stops every camera gracefully, in reverse start order.
    package func stop() {
        root.stop()
    }

    /// Starts, stops or replaces one camera subtree. Replacing keeps the camera's queues (frames
    /// in them go to the new subtree), counters and frame numbers, and returns once the new
    /// subtree is connected and running (or backing off), so steps apply one camera at a time.
    /// A removed camera's frames that the broker has not confirmed are published by a
    /// `drain:<id>` child (spooled first), and a camera added back takes them over.
    package func apply(_ step: ConfigDiff.Step, config: AppConfig) async throws {
        switch step {
        case .start(let camera):
            let routingKey = camera.routingKey(template: config.amqp.routingKey)
            let resources: CameraResources
            if let left = drains[camera.id] {
                try? await root.terminateChild(id: FleetChild.drain(camera.id).id)
                drains.remove(camera.id)
                resources = CameraResources(camera: camera, reusing: left, routingKey: routingKey)
            } else {
                resources = CameraResources(
                    camera: camera, sequence: sequence(for: camera.id), instance: instance, routingKey: routingKey,
                    spool: spool, ledger: recovered.withLock { $0.removeValue(forKey: camera.id) } ?? FrameLedger())
            }
            let subtree = CameraSubtree(resources: resources, config: config, logger: logger)
            cameras.withLock { $0[camera.id] = subtree }
            try await root.startChild(subtree.spec)
            logger.info("camera added", metadata: ["camera": "\(camera.id)"])
        case .stop(let id):
            try await root.terminateChild(id: FleetChild.camera(id).id)
            guard let removed = cameras.withLock({ $0.removeValue(forKey: id) }) else { return }
            removed.resources.observations.destroy()
            let resources = removed.resources
            if spool.mode != .off { resources.spoolWhatIsInMemory() }
            if resources.pendingCount > 0 || !resources.outbox.isEmpty {
                try await startDrain(resources, config: config)
                logger.info("camera removed; its unconfirmed frames are still published", metadata: [
                    "camera": "\(id)", "spooled": "\(resources.ledger.counts.spooled)", "pending": "\(resources.pendingCount)",
                ])
            } else {
                logger.info("camera removed", metadata: ["camera": "\(id)"])
            }
        case .restart(let camera):
            guard let old = cameras.withLock({ $0[camera.id] }) else {
                return try await apply(.start(camera), config: config)
            }
            try await root.terminateChild(id: FleetChild.camera(camera.id).id)
            let subtree = CameraSubtree(
                resources: CameraResources(
                    camera: camera, reusing: old.resources, routingKey: camera.routingKey(template: config.amqp.routingKey)),
                config: config, logger: logger)
            cameras.withLock { $0[camera.id] = subtree }
            try await root.startChild(subtree.spec)
            await waitUntilSettled(subtree, within: Duration(secondsSaturating: config.amqp.connectTimeoutS * 2 + 5))
            logger.info(
                "camera restarted with the new configuration",
                metadata: ["camera": "\(camera.id)", "state": "\(subtree.supervisor.snapshot().state.rawValue)"])
        }
    }

    /// The camera id's frame numbers, made on first use and kept for the process's life.
    private func sequence(for id: String) -> FrameSequence {
        sequences.withLock { table in
            if let kept = table[id] { return kept }
            let fresh = FrameSequence()
            table[id] = fresh
            return fresh
        }
    }

    /// Starts the `drain:<id>` child for what `resources` hold; it forgets them once drained.
    private func startDrain(_ resources: CameraResources, config: AppConfig) async throws {
        let id = resources.camera.id
        drains.insert(resources, for: id)
        try await root.startChild(CameraSubtree.drain(resources: resources, config: config, logger: logger) { [drains] in
            drains.remove(id, only: resources)
        })
    }

    /// Once the tree has stopped: what is still in memory goes to the spool, so a restart
    /// publishes it (with the broker up, a graceful stop has already published everything).
    private func spoolLeftovers() {
        guard spool.mode != .off else { return }
        let all = cameras.withLock { Array($0.values.map(\.resources)) } + Array(drains.all.values)
        for resources in all { resources.spoolWhatIsInMemory() }
        _ = spool.attempt { try $0.sync() }
    }

    /// Starts `spec` under the root (the HTTP endpoint).
    package func startService(_ spec: ChildSpec) async throws {
        try await root.startChild(spec)
    }

    /// Stage counters and queue depths by camera id.
    package func cameraDetails() -> [String: CameraDetail] {
        cameras.withLock { $0 }.mapValues { subtree in
            let resources = subtree.resources
            let pipeline = resources.pipeline.snapshot()
            return CameraDetail(
                framesDecoded: pipeline.framesDecoded, lastFrameAtMicros: pipeline.lastFrameAtMicros,
                republished: resources.publisher.snapshot().republished, captureQueueDepth: resources.captured.count, encodeQueueDepth: resources.encoded.count,
                pending: resources.pendingCount)
        }
    }

    /// The camera's last encoded JPEG, shared from memory (no copy, no encode).
    package func latestFrame(of cameraID: String) -> LatestFrame {
        guard let subtree = cameras.withLock({ $0[cameraID] }) else { return .unknownCamera }
        return subtree.resources.observations.latestFrame.map(LatestFrame.frame) ?? .noFrameYet
    }

    /// Waits until the subtree runs and its link has connected (or failed to), or the subtree
    /// backs off or has failed, or `limit` passed: on the supervisor's and the link's own
    /// changes, whichever settles it first.
    private func waitUntilSettled(_ subtree: CameraSubtree, within limit: Duration) async {
        let supervisor = subtree.supervisor, link = subtree.resources.link
        _ = await withTimeout(limit) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { _ = try? await supervisor.waitForState { $0 == .backingOff || $0 == .failed } }
                group.addTask {
                    guard (try? await link.wait { $0.connection != .disconnected(lastError: nil) }) != nil else { return }
                    _ = try? await supervisor.waitForState { $0 == .running || $0 == .backingOff || $0 == .failed }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// The tree and counters now.
    package func snapshot() -> FleetSnapshot {
        let tree = root.snapshot()
        let nodes = Dictionary(
            tree.children.compactMap { node in FleetChild(id: node.id).map { ($0, node) } }, uniquingKeysWith: { first, _ in first })
        var statuses: [String: CameraStatus] = [:]
        for (id, resources) in drains.all {
            statuses[id] = Self.status(of: resources, node: nodes[.drain(id)])
        }
        for (id, subtree) in cameras.withLock({ $0 }) {
            statuses[id] = Self.status(of: subtree.resources, node: nodes[.camera(id)])
        }
        return FleetSnapshot(
            tree: tree.mappingLastExits(Redaction.redactingSecrets(in:)), liveTasks: tree.liveTasks, cameras: statuses,
            overdue: tree.overdueShutdownPaths(), spool: spoolStatus())
    }

    /// The spool's figures now; `nil` without a spool.
    private func spoolStatus() -> SpoolStatus? {
        guard spool.mode != .off || spool.problem != nil else { return nil }
        let usage = spool.spool?.usage
        return SpoolStatus(
            mode: spool.mode.rawValue, bytes: usage?.bytes ?? 0, records: usage?.records ?? 0, unread: usage?.unread ?? 0,
            damagedAtStart: spool.damagedAtStart, droppedAtStart: spool.droppedAtStart, lastError: spool.problem)
    }

    static func status(of resources: CameraResources, node: SupervisorSnapshot?) -> CameraStatus {
        let ledger = resources.ledger.counts  // one read: the identities hold
        let publisher = resources.publisher.snapshot()
        let link = resources.link.snapshot
        var status = CameraStatus(state: node?.state ?? .starting)
        status.broker = link.url == nil ? .disconnected : .connected
        status.brokerURL = link.url.map(Redaction.redactingSecrets(in:))
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
        status.recovered = ledger.recovered
        status.spooled = ledger.spooled
        status.spoolDropped = ledger.spoolDropped
        status.expired = ledger.expired
        status.damaged = ledger.damaged
        if let trace = resources.confirmedTrace {
            status.confirmedIDs = trace.summary
            status.containers = ["pending": resources.pendingCount, "queue": resources.encoded.count]
        }
        status.published = publisher.published
        status.reconnects = publisher.reconnects
        status.restarts = node?.restarts ?? 0
        // While the broker is away, its error; else why the subtree last exited.
        let error = (node?.state == .running ? link.lastError : nil) ?? node?.lastExit
        status.lastError = error.map(Redaction.redactingSecrets(in:))
        return status
    }
}

/// What removed cameras left behind, by camera id, while their drains publish it.
///
/// Thread-safety: a `Locked` box (a class, so that a drain's end can reach it).
final class DrainTable: Sendable {
    private let table = Locked<[String: CameraResources]>([:])

    /// Every camera's leftovers now.
    var all: [String: CameraResources] { table.withLock { $0 } }

    subscript(id: String) -> CameraResources? { table.withLock { $0[id] } }

    func insert(_ resources: CameraResources, for id: String) {
        table.withLock { $0[id] = resources }
    }

    /// Removes the entry of `id`; with `only`, only while it is still those resources.
    func remove(_ id: String, only: CameraResources? = nil) {
        table.withLock { table in
            if only == nil || table[id] === only { table[id] = nil }
        }
    }
}

extension ApplianceRunner {
    /// The runner of `edge-video run`: the camera tree is a ``SupervisedFleet``.
    package init(configPath: String) {
        self.init(configPath: configPath, spooled: true) { config, logger, spool in
            SupervisedFleet(config: config, logger: logger, spool: spool)
        }
    }
}
