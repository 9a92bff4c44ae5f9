import AMQPPublisher
import EdgeVideoConfig
import Foundation
import Locking
import Spool
import VideoPipeline

/// What one camera keeps across the generations of its subtree: the queues between stages (so
/// frames queued at a restart go to the next generation), its counters and frame ledger, its frame
/// numbers, the messages still to be (re)published and the state of its broker link.
///
/// Thread-safety: every member is thread-safe; shared by the scope and the children.
final class CameraResources: Sendable {
    /// The camera's settings.
    let camera: AppConfig.Camera
    /// Capture → encoder: at most `queue_capacity` frames and ``capturedByteLimit`` bytes.
    let captured: FrameQueue<CapturedFrame>
    /// Encoder → publisher: in memory, backed by the spool.
    let outbox: PublishQueue
    /// The frames of ``outbox`` in memory.
    var encoded: FrameQueue<EncodedFrame> { outbox.memory }
    /// Where every frame is (see ``FrameLedger``); fed by the pipeline and the publisher.
    let ledger: FrameLedger
    /// Capture and encoder figures.
    let pipeline: PipelineCounters
    /// Publisher figures, shared by every connection of the camera.
    let publisher: PublisherCounters
    /// The last encoded frame and the per-frame timers.
    let observations: CameraObservations
    /// `headers.seq`.
    let sequence: FrameSequence
    /// Makes `message_id` unique across processes: `<camera>-<instance>-<seq>`.
    let instance: String
    /// Messages taken off the queue but not accepted, or unconfirmed when a connection ended;
    /// published first by the next generation, in this order, with the same `message_id`.
    private let pending = Locked<[OutgoingMessage]>([])
    /// The broker link as the status shows it.
    let link: BrokerLinkState
    /// The appliance's spool.
    let spool: SpoolLink
    /// The frames confirmed, by `message_id`, when the environment asks for it (tests).
    let confirmedTrace: ConfirmedTrace?
    /// The routing key of this camera's frames.
    let routingKey: String

    /// The most bytes of pictures waiting for the encoder (the newest frame is always kept): 1 MiB.
    /// Capture queues each frame already scaled to the output size, in buffers of its own, so this
    /// counts output pixels: at 320×180 (90 KiB a frame) `queue_capacity` binds first (8 frames,
    /// 0.7 MiB); an output of 640×360 keeps two frames, 720p or more one. It bounds what a
    /// camera with a large output size can pile up while its encoder stalls. (Before capture
    /// scaled, the queue held the decoder's own pictures, whose pool never shrinks; this bound
    /// then cut 10 MiB of PSS at 8 cameras, measured with bench/fleet/levers.py.)
    /// The encoder takes a frame within milliseconds, so this drops frames only when it stalls.
    static let capturedByteLimit = 1 << 20

    /// The capture → encoder queue for `camera`.
    private static func capturedQueue(_ camera: AppConfig.Camera) -> FrameQueue<CapturedFrame> {
        FrameQueue(capacity: camera.queueCapacity, byteLimit: capturedByteLimit, cost: { $0.byteCount })
    }

    /// Fresh resources for `camera`.
    ///
    /// - Parameters:
    ///   - sequence: the camera id's frame numbers; the fleet keeps one per id for the life of the
    ///     process, so a camera removed and added again never reuses a `seq` (nor a `message_id`).
    ///   - instance: this process's random id.
    ///   - routingKey: where its frames are published.
    ///   - spool: the appliance's spool.
    ///   - ledger: the camera's ledger when one exists already (frames recovered from the spool).
    init(
        camera: AppConfig.Camera, sequence: FrameSequence, instance: String, routingKey: String, spool: SpoolLink,
        ledger: FrameLedger = FrameLedger()
    ) {
        self.camera = camera
        captured = Self.capturedQueue(camera)
        self.ledger = ledger
        pipeline = PipelineCounters(accounting: ledger)
        publisher = PublisherCounters()
        link = BrokerLinkState()
        observations = CameraObservations(cameraID: camera.id)
        self.sequence = sequence
        self.instance = instance
        self.routingKey = routingKey
        self.spool = spool
        confirmedTrace = .fromEnvironment()
        outbox = Self.outbox(camera: camera.id, capacity: camera.queueCapacity, instance: instance, routingKey: routingKey,
                             spool: spool, ledger: ledger)
        spool.register(ledger, for: camera.id)
    }

    /// The same queues, counters and numbers for changed settings of the same camera. New queues
    /// only if their capacity changed: the frames of the old ones move to them (oldest dropped
    /// and counted, or spooled, if they no longer fit). Call once the old subtree has stopped.
    init(camera: AppConfig.Camera, reusing old: CameraResources, routingKey: String) {
        self.camera = camera
        let sameCapacity = old.camera.queueCapacity == camera.queueCapacity
        captured = sameCapacity ? old.captured : Self.capturedQueue(camera)
        ledger = old.ledger
        pipeline = old.pipeline
        publisher = old.publisher
        link = old.link
        observations = old.observations
        sequence = old.sequence
        instance = old.instance
        spool = old.spool
        confirmedTrace = old.confirmedTrace
        self.routingKey = routingKey
        outbox = sameCapacity && routingKey == old.routingKey
            ? old.outbox
            : Self.outbox(camera: camera.id, capacity: camera.queueCapacity, instance: instance, routingKey: routingKey,
                          spool: spool, ledger: ledger)
        pending.withLock { $0 = old.takePending() }
        if !sameCapacity {
            while let frame = old.captured.tryNext() {
                for _ in captured.push(frame) { ledger.frameDroppedBeforeEncode() }
            }
        }
        if outbox !== old.outbox {
            outbox.adopt(old.outbox)
            while let frame = old.encoded.tryNext() { outbox.requeue(frame) }
        }
    }

    private static func outbox(
        camera: String, capacity: Int, instance: String, routingKey: String, spool: SpoolLink, ledger: FrameLedger
    ) -> PublishQueue {
        PublishQueue(memory: FrameQueue(capacity: capacity), stream: camera, link: spool, ledger: ledger) { frame in
            (messageID: "\(camera)-\(instance)-\(frame.seq)", routingKey: routingKey)
        }
    }

    /// Moves the pending messages and the queued frames to the spool (those it cannot take stay
    /// pending); for a camera that stops or goes while the broker is away.
    func spoolWhatIsInMemory() {
        keepFirst(outbox.spoolLeftovers(takePending()))
    }

    /// Puts messages back at the front, in this order: they are older than those still pending.
    func keepFirst(_ messages: [OutgoingMessage]) {
        guard !messages.isEmpty else { return }
        pending.withLock { $0.insert(contentsOf: messages, at: 0) }
    }

    /// How many messages wait to be republished (the `/metrics` queue depth `pending`).
    var pendingCount: Int { pending.withLock { $0.count } }

    /// The first pending message, removed from the list.
    func popPending() -> OutgoingMessage? {
        pending.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }

    /// Every pending message, in order; empties the list.
    func takePending() -> [OutgoingMessage] {
        pending.withLock { list in
            defer { list = [] }
            return list
        }
    }
}
