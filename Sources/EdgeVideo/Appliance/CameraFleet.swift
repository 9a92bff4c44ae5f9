/// What the appliance needs from the running camera tree; ``SupervisedFleet`` is the real one
/// (a root supervisor with one `camera:<id>` subtree per camera).
public protocol CameraFleet: Sendable {
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
}

/// A moment's view of the camera tree.
public struct FleetSnapshot: Sendable, Equatable {
    /// The root node with its subtrees.
    public var tree: StatusNode
    /// Tasks the tree started that have not returned (measured by the supervisor).
    public var liveTasks: Int
    /// Counters and state by camera id.
    public var cameras: [String: CameraStatus]
    /// Paths of tasks that were asked to stop and are overdue.
    public var overdue: [String]

    /// Creates a snapshot.
    public init(tree: StatusNode, liveTasks: Int, cameras: [String: CameraStatus], overdue: [String] = []) {
        self.tree = tree
        self.liveTasks = liveTasks
        self.cameras = cameras
        self.overdue = overdue
    }

    /// Whether the root is healthy: running, not restarting, backing off or failing. A camera
    /// backing off does not make the root unhealthy (it is isolated by design).
    public var rootHealthy: Bool {
        tree.state == .running
    }
}
