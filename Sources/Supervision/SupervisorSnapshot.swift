import Durations

/// A point-in-time copy of one node of the supervision tree and everything below it.
///
/// Encodes to the node shape of the status file: `id`, `kind`, `strategy` (supervisors), `state`,
/// `restarts`, `last_exit` (when known), `live_tasks`, `uptime_s` (while up), `children` (supervisors).
public struct SupervisorSnapshot: Sendable, Hashable, Encodable {
    /// The lifecycle state of a node.
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        /// Starting (a supervisor opening its generation scope, or not yet running).
        case starting
        /// Up.
        case running
        /// Being stopped so that it (or its children) can be started again.
        case restarting
        /// Waiting out a backoff delay before the next start.
        case backingOff = "backing_off"
        /// Being stopped for good.
        case stopping
        /// Not running (never started, returned normally, or removed).
        case stopped
        /// Gave up (a supervisor whose intensity was exceeded) or ended abnormally for good.
        case failed
    }

    /// The node's id.
    public var id: String
    /// Worker or supervisor.
    public var kind: ChildSpec.Kind
    /// The restart strategy (supervisors only).
    public var strategy: RestartStrategy?
    /// The state.
    public var state: State
    /// How often this node has been restarted.
    public var restarts: Int
    /// Why it last ended, if it ever did.
    public var lastExit: String?
    /// Tasks started by this subtree that have not returned yet (measured).
    public var liveTasks: Int
    /// Time since the node last started, while it is up.
    public var uptime: Duration?
    /// Whether this node has been asked to stop and has not returned within its shutdown timeout.
    public var shutdownOverdue: Bool
    /// The children, in start order.
    public var children: [SupervisorSnapshot]

    /// Creates a snapshot node (mostly for tests and for composing bigger status documents).
    public init(
        id: String, kind: ChildSpec.Kind, strategy: RestartStrategy? = nil, state: State,
        restarts: Int = 0, lastExit: String? = nil, liveTasks: Int = 0, uptime: Duration? = nil,
        shutdownOverdue: Bool = false, children: [SupervisorSnapshot] = []
    ) {
        self.id = id
        self.kind = kind
        self.strategy = strategy
        self.state = state
        self.restarts = restarts
        self.lastExit = lastExit
        self.liveTasks = liveTasks
        self.uptime = uptime
        self.shutdownOverdue = shutdownOverdue
        self.children = children
    }

    /// Paths (`root/camera:cam-1/capture`) of every node overdue on its shutdown timeout.
    public func overdueShutdownPaths() -> [String] {
        var paths: [String] = []
        collectOverdue(prefix: "", into: &paths)
        return paths
    }

    private func collectOverdue(prefix: String, into paths: inout [String]) {
        let path = prefix.isEmpty ? id : "\(prefix)/\(id)"
        if shutdownOverdue { paths.append(path) }
        for child in children { child.collectOverdue(prefix: path, into: &paths) }
    }

    /// The tree in human form, one node per line, indented by depth.
    public func rendered() -> String {
        var lines: [String] = []
        render(depth: 0, into: &lines)
        return lines.joined(separator: "\n")
    }

    private func render(depth: Int, into lines: inout [String]) {
        var line = String(repeating: "  ", count: depth) + "\(id) [\(kind.rawValue)"
        if let strategy { line += " \(strategy.rawValue)" }
        line += "] \(state.rawValue) restarts=\(restarts) live_tasks=\(liveTasks)"
        if let uptime { line += " up=\(Int(uptime.seconds))s" }
        if let lastExit { line += " last_exit=\"\(lastExit)\"" }
        if shutdownOverdue { line += " SHUTDOWN OVERDUE" }
        lines.append(line)
        for child in children { child.render(depth: depth + 1, into: &lines) }
    }

    private enum CodingKeys: String, CodingKey {
        case id, kind, strategy, state, restarts
        case lastExit = "last_exit"
        case liveTasks = "live_tasks"
        case uptime = "uptime_s"
        case children
    }

    /// Encodes the node shape of the status file.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(strategy, forKey: .strategy)
        try container.encode(state, forKey: .state)
        try container.encode(restarts, forKey: .restarts)
        try container.encodeIfPresent(lastExit, forKey: .lastExit)
        try container.encode(liveTasks, forKey: .liveTasks)
        if let uptime { try container.encode((uptime.seconds * 1000).rounded() / 1000, forKey: .uptime) }
        if kind == .supervisor { try container.encode(children, forKey: .children) }
    }
}
