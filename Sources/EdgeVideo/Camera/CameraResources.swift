import AMQPPublisher
import Foundation
import Locking
import VideoPipeline

/// What one camera keeps across the generations of its subtree: the queues between stages (so
/// frames queued at a restart go to the next generation), its counters, its frame numbers and the
/// messages still to be (re)published.
///
/// Thread-safety: every member is thread-safe; shared by the scope and the children.
final class CameraResources: Sendable {
    /// The camera's settings.
    let camera: AppConfig.Camera
    /// Capture → encoder.
    let captured: FrameQueue<CapturedFrame>
    /// Encoder → publisher.
    let encoded: FrameQueue<EncodedFrame>
    /// Capture and encoder figures.
    let pipeline: PipelineCounters
    /// Publisher figures, shared by every connection of the camera.
    let publisher: PublisherCounters
    /// `headers.seq`.
    let sequence: FrameSequence
    /// Makes `message_id` unique across processes: `<camera>-<instance>-<seq>`.
    let instance: String
    /// Messages taken off the queue but not accepted, or unconfirmed when a connection ended;
    /// published first by the next generation, in this order, with the same `message_id`.
    private let pending = Locked<[OutgoingMessage]>([])

    /// Fresh resources for `camera`.
    ///
    /// - Parameters:
    ///   - sequence: the camera id's frame numbers; the fleet keeps one per id for the life of the
    ///     process, so a camera removed and added again never reuses a `seq` (nor a `message_id`).
    ///   - instance: this process's random id.
    init(camera: AppConfig.Camera, sequence: FrameSequence, instance: String) {
        self.camera = camera
        captured = FrameQueue(capacity: camera.queueCapacity)
        encoded = FrameQueue(capacity: camera.queueCapacity)
        pipeline = PipelineCounters()
        publisher = PublisherCounters()
        self.sequence = sequence
        self.instance = instance
    }

    /// The same queues, counters and numbers for changed settings of the same camera (new queues
    /// only if their capacity changed).
    init(camera: AppConfig.Camera, reusing old: CameraResources) {
        self.camera = camera
        let sameCapacity = old.camera.queueCapacity == camera.queueCapacity
        captured = sameCapacity ? old.captured : FrameQueue(capacity: camera.queueCapacity)
        encoded = sameCapacity ? old.encoded : FrameQueue(capacity: camera.queueCapacity)
        pipeline = old.pipeline
        publisher = old.publisher
        sequence = old.sequence
        instance = old.instance
        pending.withLock { $0 = old.takePending() }
    }

    /// Appends messages for the next generation to publish (after those already pending).
    func keep(_ messages: [OutgoingMessage]) {
        guard !messages.isEmpty else { return }
        pending.withLock { $0.append(contentsOf: messages) }
    }

    /// Puts one message back at the front.
    func keepFirst(_ message: OutgoingMessage) {
        pending.withLock { $0.insert(message, at: 0) }
    }

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

    /// Number of pending messages.
    var pendingCount: Int { pending.withLock { $0.count } }
}
