import AMQPPublisher
import Locking
import Spool
import VideoPipeline

/// The encoder → publisher handover of one camera: a bounded queue in memory, backed by the
/// appliance's spool on disk.
///
/// - `outage` mode: frames stay in memory while the publisher keeps up. When the queue is full
///   (the broker is away, blocks, or its confirm window stays full), its oldest frame goes to the
///   spool instead of being dropped; the publisher reads it back once it can publish again.
/// - `always` mode: every frame is appended to the spool before it is queued, so a crash loses
///   none; the queue holds the in-memory copies, and a frame the full queue lets go stays on disk.
/// - `off`, or a spool that fails: the full queue drops its oldest frame, counted.
///
/// The publisher takes frames with ``next()``: with `capture_order` replay, the spool's frames
/// first (they are older than any frame in memory), with `live_first` the memory's first.
///
/// Thread-safety: the queue and the spool are thread-safe, the map of disk copies is `Locked`;
/// the encoder thread pushes, the publisher takes.
final class PublishQueue: Sendable {
    /// The frames in memory.
    let memory: FrameQueue<EncodedFrame>
    /// The camera's stream in the spool.
    let stream: String
    private let link: SpoolLink
    private let ledger: FrameLedger
    /// `message_id` and routing key of a frame.
    private let identity: @Sendable (EncodedFrame) -> (messageID: String, routingKey: String)
    /// The spool records of frames whose disk copy is not read back by ``next()``: frames in
    /// memory (in `always` mode) and frames handed to the publisher, by `message_id`.
    private let onDisk = Locked<[String: SpoolRecordID]>([:])

    /// A frame for the publisher, with the identity of its message; its disk copy, if it has one,
    /// is released by ``settled(_:)`` with that `message_id`.
    struct Item: Sendable {
        var frame: SpooledFrame
    }

    init(
        memory: FrameQueue<EncodedFrame>, stream: String, link: SpoolLink, ledger: FrameLedger,
        identity: @escaping @Sendable (EncodedFrame) -> (messageID: String, routingKey: String)
    ) {
        self.memory = memory
        self.stream = stream
        self.link = link
        self.ledger = ledger
        self.identity = identity
    }

    /// Takes a newly encoded frame (counted as encoded and queued for publish); on the encoder thread.
    func push(_ frame: EncodedFrame) {
        if link.mode == .always {
            let (messageID, routingKey) = identity(frame)
            let spooled = SpooledFrame(frame: frame, messageID: messageID, routingKey: routingKey)
            if let id = link.attempt({ try $0.append(spooled.record(camera: stream), unread: false) }) {
                onDisk.withLock { $0[messageID] = id }
            }
        }
        requeue(frame)
    }

    /// Queues a frame in memory without writing it (again): one of a queue this one replaces.
    func requeue(_ frame: EncodedFrame) {
        for dropped in memory.push(frame) { overflow(dropped) }
    }

    /// A frame the full queue let go: to the spool, or dropped and counted.
    private func overflow(_ frame: EncodedFrame) {
        let (messageID, routingKey) = identity(frame)
        if let id = onDisk.withLock({ $0.removeValue(forKey: messageID) }) {
            link.spool?.markUnread(id)
            ledger.spooled()
            return
        }
        keepOnDisk(SpooledFrame(frame: frame, messageID: messageID, routingKey: routingKey))
    }

    /// Writes a frame that is queued for publish to the spool (it leaves memory), or counts it as
    /// dropped when there is no spool or the spool cannot take it.
    private func keepOnDisk(_ frame: SpooledFrame) {
        guard link.mode != .off else {
            ledger.frameDroppedAfterEncode()
            return
        }
        if link.attempt({ try $0.append(frame.record(camera: stream), unread: true) }) != nil {
            ledger.spooled()
        } else {
            ledger.spoolRefused()
        }
    }

    /// The next frame to publish, waiting for one.
    /// - Throws: `CancellationError` when the calling task is cancelled while waiting.
    func next() async throws -> Item {
        if let item = nextNow() {
            // While a backlog drains, the publisher would take frame after frame without
            // suspending, and the encoder, which shares its thread, would wait for the whole
            // backlog: between two backlog frames it gets its turn.
            if link.spool?.hasUnread(stream: stream) == true { await Task.yield() }
            return item
        }
        // Nothing on disk and nothing in memory: the spool gains frames only from a full queue,
        // which cannot fill while this waits on it empty.
        return item(fromMemory: try await memory.next())
    }

    /// The next frame to publish, if one is ready now.
    func nextNow() -> Item? {
        switch link.replay {
        case .captureOrder: return nextFromDisk() ?? memory.tryNext().map(item(fromMemory:))
        case .liveFirst: return memory.tryNext().map(item(fromMemory:)) ?? nextFromDisk()
        }
    }

    /// Whether anything waits: in memory or on disk.
    var isEmpty: Bool {
        memory.count == 0 && !(link.spool?.hasUnread(stream: stream) ?? false)
    }

    /// The item of a frame taken from memory.
    func item(fromMemory frame: EncodedFrame) -> Item {
        let (messageID, routingKey) = identity(frame)
        return Item(frame: SpooledFrame(frame: frame, messageID: messageID, routingKey: routingKey))
    }

    /// The oldest unread frame of the stream on disk (expired and damaged ones are skipped and
    /// counted by the spool's discard report).
    private func nextFromDisk() -> Item? {
        guard let spool = link.spool, spool.hasUnread(stream: stream) else { return nil }
        while let (id, record) = link.attempt({ try $0.next(stream: stream) }) ?? nil {
            guard let frame = SpooledFrame(record) else {
                // Written by a version that no longer reads it: counted as damaged, never retried.
                spool.acknowledge(id)
                ledger.spoolDiscarded(1, reason: .damaged)
                continue
            }
            ledger.unspooled()
            onDisk.withLock { $0[frame.messageID] = id }
            return Item(frame: frame)
        }
        return nil
    }

    /// The frame of `messageID` was settled (or given up): its disk copy is no longer needed.
    func settled(_ messageID: String) {
        guard link.spool != nil, let id = onDisk.withLock({ $0.removeValue(forKey: messageID) }) else { return }
        link.spool?.acknowledge(id)
    }

    /// Takes over the disk copies `old` knows of (a queue replaced by a reload of its camera), so
    /// that settling their messages acknowledges them.
    func adopt(_ old: PublishQueue) {
        let copies = old.onDisk.withLock { map in
            defer { map = [:] }
            return map
        }
        onDisk.withLock { $0.merge(copies) { _, old in old } }
    }

    /// Whether the frame of `messageID` has a copy on disk that the spool will deliver again after
    /// a restart (it was appended, and not acknowledged).
    func isOnDisk(_ messageID: String) -> Bool {
        onDisk.withLock { $0[messageID] != nil }
    }

    /// Moves what is left in memory to disk (a stop or a removal while the broker is away):
    /// queued frames are appended, and `pending` messages too unless their disk copy is there
    /// (those are put back as unread). Returns the messages that could not be kept on disk.
    func spoolLeftovers(_ pending: [OutgoingMessage]) -> [OutgoingMessage] {
        var kept: [OutgoingMessage] = []
        var released: [SpoolRecordID] = []
        for message in pending {
            if link.mode != .off, let id = onDisk.withLock({ $0.removeValue(forKey: message.messageID) }) {
                released.append(id)
                ledger.spooled()
            } else if link.mode != .off, let frame = SpooledFrame(message),
                link.attempt({ try $0.append(frame.record(camera: stream), unread: true) }) != nil
            {
                ledger.spooled()
            } else {
                kept.append(message)
            }
        }
        link.spool?.release(released)
        while let frame = memory.tryNext() { overflow(frame) }
        return kept
    }
}
