import AMQPPublisher
import EdgeVideoConfig
import Supervision
import VideoPipeline

/// What the appliance needs from the running camera tree; ``SupervisedFleet`` is the real one
/// (a root supervisor with one `camera:<id>` subtree per camera).
package protocol CameraFleet: Sendable {
    /// Runs the tree until ``stop()``; throws when the root supervisor gives up.
    func run() async throws

    /// Asks the tree to stop gracefully (cameras stop in reverse order).
    func stop()

    /// Applies one reload step. `.restart` returns once the new subtree has started, so steps
    /// run one camera at a time.
    ///
    /// - Parameter config: the configuration the step comes from (broker and supervision settings).
    func apply(_ step: ConfigDiff.Step, config: AppConfig) async throws

    /// The tree, its measured live tasks and per-camera counters, cheaply, from any thread.
    func snapshot() -> FleetSnapshot

    /// Starts a service that is not a camera (the HTTP endpoint) as a child of the root, so it
    /// restarts like everything else; started before the cameras, it stops after them.
    func startService(_ spec: ChildSpec) async throws

    /// Each camera's detailed figures (stage counters, queues), for metrics; from any thread.
    func cameraDetails() -> [String: CameraDetail]

    /// The last JPEG a camera encoded, from memory.
    func latestFrame(of cameraID: String) -> LatestFrame
}

extension CameraFleet {
    /// Trees without services ignore them.
    package func startService(_ spec: ChildSpec) async throws {}
    /// Trees without details have none.
    package func cameraDetails() -> [String: CameraDetail] { [:] }
    /// Trees without frames know no camera.
    package func latestFrame(of cameraID: String) -> LatestFrame { .unknownCamera }
}

/// A camera's figures beyond its status (whose frame ledger counts every frame from capture on, and
/// every settlement): what happens before capture, republishes, and how many frames each queue holds.
package struct CameraDetail: Sendable, Equatable {
    /// Frames that came out of the decoder (or the test pattern generator).
    package var framesDecoded: Int64
    /// When the last frame was captured, µs since the Unix epoch; `nil` before the first.
    package var lastFrameAtMicros: Int64?
    /// Publishes of frames handed back by an earlier connection.
    package var republished: Int
    /// Frames in the encoder's input queue.
    package var captureQueueDepth: Int
    /// JPEGs in the publish queue.
    package var encodeQueueDepth: Int
    /// Messages kept from an earlier connection, to be republished.
    package var pending: Int

    /// Creates a detail record.
    package init(
        framesDecoded: Int64, lastFrameAtMicros: Int64?, republished: Int, captureQueueDepth: Int, encodeQueueDepth: Int,
        pending: Int
    ) {
        self.framesDecoded = framesDecoded
        self.lastFrameAtMicros = lastFrameAtMicros
        self.republished = republished
        self.captureQueueDepth = captureQueueDepth
        self.encodeQueueDepth = encodeQueueDepth
        self.pending = pending
    }
}

/// The answer to "what did this camera encode last".
package enum LatestFrame: Sendable {
    /// No camera has this id.
    case unknownCamera
    /// The camera exists but has not encoded a frame yet.
    case noFrameYet
    /// The last JPEG.
    case frame(EncodedFrame)
}

/// A moment's view of the camera tree.
package struct FleetSnapshot: Sendable, Equatable {
    /// The root node with its subtrees.
    package var tree: SupervisorSnapshot
    /// Tasks the tree started that have not returned (measured by the supervisor).
    package var liveTasks: Int
    /// Counters and state by camera id.
    package var cameras: [String: CameraStatus]
    /// Paths of tasks that were asked to stop and are overdue.
    package var overdue: [String]
    /// The spool's figures; `nil` without a spool.
    package var spool: SpoolStatus?

    /// Creates a snapshot.
    package init(
        tree: SupervisorSnapshot, liveTasks: Int, cameras: [String: CameraStatus], overdue: [String] = [], spool: SpoolStatus? = nil
    ) {
        self.tree = tree
        self.liveTasks = liveTasks
        self.cameras = cameras
        self.overdue = overdue
        self.spool = spool
    }
}
