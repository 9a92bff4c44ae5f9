/// How to start, restart and stop one child of a ``Supervisor``.
///
/// A child is either a worker (an async closure) or a nested ``Supervisor``. The closure is the
/// child's whole life: it returns (or throws) when the child ends. Its code up to the first
/// suspension point runs on the supervisor's task, so children start strictly in order; keep that
/// part short and never block there.
public struct ChildSpec: Sendable {
    /// When a child that has ended is started again, with OTP's meanings.
    public enum Restart: String, Sendable, Hashable {
        /// Always restarted.
        case permanent
        /// Restarted only after an abnormal exit (a thrown error other than `CancellationError`).
        case transient
        /// Never restarted; removed when it ends or when a restart of its siblings stops it.
        case temporary
    }

    /// Whether the child is a worker or a nested supervisor.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A plain async closure.
        case worker
        /// A nested ``Supervisor``.
        case supervisor
    }

    /// The child's id, unique among its siblings.
    public let id: String
    /// The restart type.
    public let restart: Restart
    /// How long the child may take to return once asked to stop; `nil` waits without reporting.
    public let shutdownTimeout: Duration?
    /// What the child runs, which also says how it is stopped.
    let body: Body

    /// What a child runs.
    enum Body: Sendable {
        /// A worker's closure, stopped by cancellation.
        case worker(@Sendable () async throws -> Void)
        /// A nested supervisor, run by ``Supervisor/run()`` and stopped by `stopCurrentRun()`.
        case supervisor(Supervisor)
    }

    /// Worker or supervisor.
    public var kind: Kind {
        switch body {
        case .worker: .worker
        case .supervisor: .supervisor
        }
    }

    /// The nested supervisor, for a supervisor child.
    var nested: Supervisor? {
        guard case .supervisor(let supervisor) = body else { return nil }
        return supervisor
    }

    /// Creates a worker child.
    ///
    /// - Parameters:
    ///   - id: Unique among the siblings; used in status paths and logs.
    ///   - restart: The restart type, `.permanent` by default.
    ///   - shutdownTimeout: Time the child has to return after cancellation before it is reported
    ///     as overdue (it is still awaited). Five seconds by default.
    ///   - run: The child's work. Returning or throwing `CancellationError` is a normal exit.
    public init(
        id: String,
        restart: Restart = .permanent,
        shutdownTimeout: Duration? = .seconds(5),
        run: @escaping @Sendable () async throws -> Void
    ) {
        self.id = id
        self.restart = restart
        self.shutdownTimeout = shutdownTimeout
        self.body = .worker(run)
    }

    /// Creates a child that is itself a supervisor; its id is the supervisor's id.
    ///
    /// The parent stops it with ``Supervisor/stop()`` (its children stop in reverse order), not by
    /// cancellation. If it gives up (intensity exceeded) its `run()` throws, which is a failure of
    /// this child in the parent: that is how escalation travels up the tree.
    ///
    /// - Parameters:
    ///   - supervisor: The nested supervisor. Run it only through this spec.
    ///   - restart: The restart type, `.permanent` by default.
    ///   - shutdownTimeout: `nil` (wait as long as its own children take) by default.
    public static func supervisor(
        _ supervisor: Supervisor,
        restart: Restart = .permanent,
        shutdownTimeout: Duration? = nil
    ) -> ChildSpec {
        ChildSpec(id: supervisor.id, restart: restart, shutdownTimeout: shutdownTimeout, body: .supervisor(supervisor))
    }

    private init(id: String, restart: Restart, shutdownTimeout: Duration?, body: Body) {
        self.id = id
        self.restart = restart
        self.shutdownTimeout = shutdownTimeout
        self.body = body
    }

    /// Runs the child's whole life.
    func run() async throws {
        switch body {
        case .worker(let run): try await run()
        case .supervisor(let supervisor): try await supervisor.run()
        }
    }
}
