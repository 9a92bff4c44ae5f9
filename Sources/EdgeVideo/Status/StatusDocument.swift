import Foundation
import Supervision

/// The status snapshot written to the status file on SIGUSR1 and printed by `edge-video status`,
/// in the shape of CONTRACT.md.
public struct StatusDocument: Sendable, Equatable, Codable {
    /// Process id of the running instance.
    public var pid: Int32
    /// edge-video version.
    public var version: String
    /// Seconds since the process started.
    public var uptimeS: Double
    /// Tasks started by the supervision tree that have not returned yet (measured).
    public var liveTasks: Int
    /// The configuration in use.
    public var config: ConfigState
    /// The supervision tree.
    public var tree: StatusNode
    /// Per-camera counters, by camera id.
    public var cameras: [String: CameraStatus]

    /// The `config` object.
    public struct ConfigState: Sendable, Equatable, Codable {
        /// Path of the configuration file as given on the command line.
        public var path: String
        /// 1 for the configuration read at start, +1 for every reload that was applied.
        public var generation: Int
        /// Why the last reload was rejected (paths and messages), `null` after a good one.
        public var lastError: String?

        /// Creates the object.
        public init(path: String, generation: Int, lastError: String?) {
            self.path = path
            self.generation = generation
            self.lastError = lastError
        }

        enum CodingKeys: String, CodingKey {
            case path, generation, lastError = "last_error"
        }

        /// Encodes `last_error` as `null` when there is none, as the contract shows.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(path, forKey: .path)
            try container.encode(generation, forKey: .generation)
            try container.encode(lastError, forKey: .lastError)
        }
    }

    /// Creates a document.
    public init(
        pid: Int32, version: String, uptimeS: Double, liveTasks: Int, config: ConfigState, tree: StatusNode,
        cameras: [String: CameraStatus]
    ) {
        self.pid = pid
        self.version = version
        self.uptimeS = uptimeS
        self.liveTasks = liveTasks
        self.config = config
        self.tree = tree
        self.cameras = cameras
    }

    enum CodingKeys: String, CodingKey {
        case pid, version, config, tree, cameras
        case uptimeS = "uptime_s", liveTasks = "live_tasks"
    }

    /// Pretty, key-sorted JSON followed by a newline.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }
}

/// One node of the supervision tree in the status document.
public struct StatusNode: Sendable, Equatable, Codable {
    /// Child id (`root`, `camera:cam-1`, `publisher`, ...).
    public var id: String
    /// `supervisor` or `worker`.
    public var kind: String
    /// `one_for_one`, `one_for_all` or `rest_for_one`, for supervisors.
    public var strategy: String?
    /// The node's state (encoded `starting`, `running`, `restarting`, `backing_off`, `stopping`,
    /// `stopped` or `failed`).
    public var state: SupervisorSnapshot.State
    /// Restarts of this node so far.
    public var restarts: Int
    /// Why the node last exited, redacted.
    public var lastExit: String?
    /// Measured live tasks under this node, for supervisors.
    public var liveTasks: Int?
    /// Children in start order, for supervisors.
    public var children: [StatusNode]?

    /// Creates a node.
    public init(
        id: String, kind: String, strategy: String? = nil, state: SupervisorSnapshot.State, restarts: Int = 0, lastExit: String? = nil,
        liveTasks: Int? = nil, children: [StatusNode]? = nil
    ) {
        self.id = id
        self.kind = kind
        self.strategy = strategy
        self.state = state
        self.restarts = restarts
        self.lastExit = lastExit
        self.liveTasks = liveTasks
        self.children = children
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, strategy, state, restarts, children
        case lastExit = "last_exit", liveTasks = "live_tasks"
    }
}

/// Counters and state of one camera in the status document.
public struct CameraStatus: Sendable, Equatable, Codable {
    /// State of the camera's subtree (same words as tree nodes).
    public var state: SupervisorSnapshot.State
    /// Frames sampled for encoding (not every frame read from the source).
    public var framesCaptured: Int
    /// Frames sampled and JPEG-encoded.
    public var framesEncoded: Int
    /// Messages published (including republished ones).
    public var published: Int
    /// Messages confirmed by the broker.
    public var confirmed: Int
    /// Messages the broker refused.
    public var nacked: Int
    /// Frames dropped because a queue was full.
    public var dropped: Int
    /// Published, not yet confirmed.
    public var inFlight: Int
    /// Broker connections opened after the first.
    public var reconnects: Int
    /// Restarts of the camera subtree.
    public var restarts: Int
    /// The last failure, redacted; `null` when none.
    public var lastError: String?

    /// Creates a camera status with all counters at zero.
    public init(state: SupervisorSnapshot.State) {
        self.state = state
        (framesCaptured, framesEncoded, published, confirmed, nacked, dropped, inFlight, reconnects, restarts) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    enum CodingKeys: String, CodingKey {
        case state, published, confirmed, nacked, dropped, reconnects, restarts
        case framesCaptured = "frames_captured", framesEncoded = "frames_encoded", inFlight = "in_flight"
        case lastError = "last_error"
    }

    /// Encodes `last_error` as `null` when there is none, as the contract shows.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
        try container.encode(framesCaptured, forKey: .framesCaptured)
        try container.encode(framesEncoded, forKey: .framesEncoded)
        try container.encode(published, forKey: .published)
        try container.encode(confirmed, forKey: .confirmed)
        try container.encode(nacked, forKey: .nacked)
        try container.encode(dropped, forKey: .dropped)
        try container.encode(inFlight, forKey: .inFlight)
        try container.encode(reconnects, forKey: .reconnects)
        try container.encode(restarts, forKey: .restarts)
        try container.encode(lastError, forKey: .lastError)
    }
}
