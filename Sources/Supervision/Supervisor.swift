import Logging
import Locking
import Synchronization

/// An Erlang/OTP-style supervisor on Swift structured concurrency.
///
/// It starts its children in order as tasks of its own `run()`, restarts them by its
/// ``RestartStrategy`` within a ``RestartIntensity``, waits out a ``Backoff`` between restarts,
/// and stops them in reverse order. Every child task is awaited before `run()` returns, and a
/// restart of several children awaits every one of them before any is started again.
///
/// ```swift
/// let supervisor = Supervisor(id: "root", strategy: .oneForAll, logger: logger, children: [
///     ChildSpec(id: "reader") { try await reader.run() },
///     ChildSpec(id: "writer") { try await writer.run() },
/// ])
/// try await supervisor.run()   // throws SupervisorError(.intensityExceeded) when it gives up
/// ```
///
/// Thread-safety: `run()` once at a time; every other method from any task or thread.
public final class Supervisor: Sendable {
    /// Wraps each generation of a supervisor's children, e.g. to open a connection they share.
    ///
    /// Called for every (re)start of the whole child set with the generation number (from 1) and
    /// `startChildren`. The scope opens its resource, builds the specs from it and calls
    /// `startChildren` exactly once; that returns only when every child of the generation has
    /// returned (a restart of them all, or the supervisor stopping). Then the scope closes the
    /// resource and returns. An error thrown by the scope is a failure of the generation: it is
    /// restarted with backoff, counted against the intensity.
    public typealias GenerationScope =
        @Sendable (_ generation: Int, _ startChildren: @Sendable ([ChildSpec]) async throws -> Void) async throws -> Void

    /// The supervisor's id (its child id when nested).
    public let id: String
    /// Its restart strategy.
    public let strategy: RestartStrategy
    /// Its restart intensity.
    public let intensity: RestartIntensity
    /// Its backoff between restarts.
    public let backoff: Backoff

    let initialChildren: [ChildSpec]
    let scope: GenerationScope?
    let clock: ClockBox
    let logger: Logger
    /// The restart state machine with the child table, and this supervisor's own status.
    let table: Locked<SupervisorState>
    /// This supervisor's own state, which ``waitForState(where:)`` waits on.
    let lifecycle = Watched(SupervisorSnapshot.State.stopped)
    let inbox = Inbox()
    let watchdog = ShutdownWatchdog()
    let liveTasks = LiveTaskCounter()
    let running = Atomic<Bool>(false)
    let epoch = Atomic<Int>(0)

    /// Creates a supervisor of a fixed list of children (more can be added while it runs).
    ///
    /// - Parameters:
    ///   - id: Its id, and its child id when nested with ``ChildSpec/supervisor(_:restart:shutdownTimeout:)``.
    ///   - strategy: Which children restart together.
    ///   - intensity: At most this many restarts per period; `.unlimited` never gives up.
    ///   - backoff: Delay between restarts; `.none` restarts at once.
    ///   - clock: Drives backoff and shutdown timeouts (a manual clock in tests).
    ///   - logger: Gets one line per restart, warnings for overdue children, errors on give-up.
    ///   - seed: Seeds the backoff jitter; random when `nil`.
    ///   - children: Started in this order, stopped in reverse.
    public convenience init(
        id: String,
        strategy: RestartStrategy = .oneForOne,
        intensity: RestartIntensity = RestartIntensity(maxRestarts: 3, period: .seconds(5)),
        backoff: Backoff = .standard,
        clock: any Clock<Duration> = ContinuousClock(),
        logger: Logger,
        seed: UInt64? = nil,
        children: [ChildSpec] = []
    ) {
        self.init(
            id: id, strategy: strategy, intensity: intensity, backoff: backoff, clock: clock,
            logger: logger, seed: seed, children: children, scope: nil
        )
    }

    /// Creates a supervisor whose children are built anew for every generation by `scope`.
    ///
    /// - Parameters:
    ///   - id: Its id, and its child id when nested with ``ChildSpec/supervisor(_:restart:shutdownTimeout:)``.
    ///   - strategy: Which children restart together; `.oneForAll` by default, since the children
    ///     share the scope's resource.
    ///   - intensity: At most this many restarts per period; `.unlimited` never gives up.
    ///   - backoff: Delay between restarts; `.none` restarts at once.
    ///   - clock: Drives backoff and shutdown timeouts (a manual clock in tests).
    ///   - logger: Gets one line per restart, warnings for overdue children, errors on give-up.
    ///   - seed: Seeds the backoff jitter; random when `nil`.
    ///   - scope: Opens a per-generation resource, starts the children, closes it (see ``GenerationScope``).
    public convenience init(
        id: String,
        strategy: RestartStrategy = .oneForAll,
        intensity: RestartIntensity = RestartIntensity(maxRestarts: 3, period: .seconds(5)),
        backoff: Backoff = .standard,
        clock: any Clock<Duration> = ContinuousClock(),
        logger: Logger,
        seed: UInt64? = nil,
        scope: @escaping GenerationScope
    ) {
        self.init(
            id: id, strategy: strategy, intensity: intensity, backoff: backoff, clock: clock,
            logger: logger, seed: seed, children: [], scope: scope
        )
    }

    private init(
        id: String, strategy: RestartStrategy, intensity: RestartIntensity, backoff: Backoff,
        clock: any Clock<Duration>, logger: Logger, seed: UInt64?, children: [ChildSpec],
        scope: GenerationScope?
    ) {
        self.id = id
        self.strategy = strategy
        self.intensity = intensity
        self.backoff = backoff
        self.clock = ClockBox(clock)
        self.logger = logger
        self.initialChildren = children
        self.scope = scope
        var machine = RestartStateMachine(
            strategy: strategy, intensity: intensity, backoff: backoff, seed: seed ?? UInt64.random(in: .min ... .max)
        )
        machine.beginRun(children)
        self.table = Locked(SupervisorState(machine: machine, path: id))
    }

    /// Asks a running supervisor to stop: its children stop in reverse order, then `run()` returns.
    ///
    /// Cancelling the task of `run()` also stops it, but cancels every child at once.
    public func stop() {
        inbox.post(.stop(epoch: nil))
    }

    /// Stops the current run only; a request that arrives after it ended is ignored by the next.
    func stopCurrentRun() {
        inbox.post(.stop(epoch: epoch.load(ordering: .acquiring)))
    }

    /// Starts one more child, after the others; returns once it has been started.
    ///
    /// - Throws: ``SupervisorError`` `.duplicateChildID`, or `.notRunning` if `run()` has ended
    ///   (before it handled the request, or before the call).
    public func startChild(_ spec: ChildSpec) async throws {
        try await withCheckedThrowingContinuation { reply in
            if !inbox.post(.startChild(spec, reply)) { reply.resume(throwing: notRunning()) }
        }
    }

    /// Stops one child (awaiting it) and removes it; its siblings are not affected.
    ///
    /// - Throws: ``SupervisorError`` `.childNotFound`, or `.notRunning` if `run()` has ended
    ///   (before it handled the request, or before the call).
    public func terminateChild(id: String) async throws {
        try await withCheckedThrowingContinuation { reply in
            if !inbox.post(.terminateChild(id, reply)) { reply.resume(throwing: notRunning()) }
        }
    }

    func notRunning() -> SupervisorError {
        error(.notRunning, "supervisor ended")
    }

    func error(_ code: SupervisorError.Code, _ message: String) -> SupervisorError {
        SupervisorError(code: code, path: path, message: message)
    }
}
