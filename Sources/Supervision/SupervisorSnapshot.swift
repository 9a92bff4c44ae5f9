import Durations

/// A point-in-time copy of one node of the supervision tree and everything below it: the one
/// model of the tree, read by the status file, the status text, the status page and the stop
/// watchdog.
///
/// Codes the node shape of the status file: `id`, `kind`, `strategy` (supervisors), `state`,
/// `restarts`, `last_exit` (when known), `live_tasks` and `children` (supervisors). ``uptime`` and
/// ``shutdownOverdue`` are figures of the running tree only: they are not coded.
public struct SupervisorSnapshot: Sendable, Hashable, Codable {
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

    /// Visits this node and every node below it, depth first in start order, with its path
    /// (`root/camera:cam-1/capture`).
    public func walk(_ visit: (_ node: SupervisorSnapshot, _ path: String) -> Void) {
        walk(prefix: "", visit)
    }

    private func walk(prefix: String, _ visit: (SupervisorSnapshot, String) -> Void) {
        let path = prefix.isEmpty ? id : "\(prefix)/\(id)"
        visit(self, path)
        for child in children { child.walk(prefix: path, visit) }
    }

    /// Paths of the nodes for which `isIncluded` is true, depth first in start order.
    public func paths(where isIncluded: (SupervisorSnapshot) -> Bool) -> [String] {
        var paths: [String] = []
        walk { node, path in if isIncluded(node) { paths.append(path) } }
        return paths
    }

    /// Paths (`root/camera:cam-1/capture`) of every node overdue on its shutdown timeout.
    public func overdueShutdownPaths() -> [String] {
        paths { $0.shutdownOverdue }
    }

    /// The same tree with every `lastExit` passed through `transform` (to redact it).
    public func mappingLastExits(_ transform: (String) -> String) -> SupervisorSnapshot {
        var node = self
        node.lastExit = lastExit.map(transform)
        node.children = children.map { $0.mappingLastExits(transform) }
        return node
    }

    private enum CodingKeys: String, CodingKey {
        case id, kind, strategy, state, restarts, children
        case lastExit = "last_exit"
        case liveTasks = "live_tasks"
    }

    /// Decodes the node shape of the status file (a worker's `live_tasks` reads as 0).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id), kind: try container.decode(ChildSpec.Kind.self, forKey: .kind),
            strategy: try container.decodeIfPresent(RestartStrategy.self, forKey: .strategy),
            state: try container.decode(State.self, forKey: .state), restarts: try container.decode(Int.self, forKey: .restarts),
            lastExit: try container.decodeIfPresent(String.self, forKey: .lastExit),
            liveTasks: try container.decodeIfPresent(Int.self, forKey: .liveTasks) ?? 0,
            children: try container.decodeIfPresent([SupervisorSnapshot].self, forKey: .children) ?? [])
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
        guard kind == .supervisor else { return }
        try container.encode(liveTasks, forKey: .liveTasks)
        try container.encode(children, forKey: .children)
    }
}
