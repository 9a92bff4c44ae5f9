import Locking
import Supervision

/// Probe children for supervisor tests: each reports what happens to it on one shared, ordered
/// stream of events, and a test makes a running child crash or return on demand.
///
/// Thread-safety: every method may be called from any task.
public final class Probe: Sendable {
    /// What happened to a probe child.
    public enum Kind: String, Sendable, Hashable {
        /// Its body began (emitted before its first suspension point).
        case started
        /// It returned normally.
        case returned
        /// It returned because it was cancelled.
        case cancelled
        /// It threw (a crash).
        case failed
        /// It was cancelled and, being `.ignoresCancellation`, kept running.
        case ignoredCancellation = "ignored_cancellation"
    }

    /// One event from one incarnation of one child.
    public struct Event: Sendable, Hashable, CustomStringConvertible {
        /// The child's id.
        public var id: String
        /// What happened.
        public var kind: Kind
        /// 1 for the first start of this id, 2 for the next, ...
        public var incarnation: Int
        /// The generation given to ``Probe/child(_:restart:shutdownTimeout:generation:behaviour:)``.
        public var generation: Int

        /// `"id#incarnation kind"`.
        public var description: String {
            "\(id)#\(incarnation) \(kind.rawValue)"
        }
    }

    /// What a probe child does once started.
    public enum Behaviour: Sendable, Hashable {
        /// Waits for cancellation, ``Probe/crash(_:reason:)`` or ``Probe/finish(_:)``.
        case idle
        /// Like `.idle`, but keeps running after cancellation until ``Probe/release(_:)``.
        case ignoresCancellation
        /// Throws right after starting.
        case crashAtStart
    }

    /// The error a crashing probe child throws.
    public struct Crash: Error, CustomStringConvertible {
        /// The reason given to ``Probe/crash(_:reason:)``.
        public var description: String
    }

    /// Every event of every child of this probe, in order.
    public let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let state = Locked<[String: (incarnation: Int, control: ProbeControl?)]>([:])

    /// Creates a probe with an empty event stream.
    public init() {
        (events, continuation) = AsyncStream.makeStream()
    }

    /// A child spec whose body reports to this probe.
    public func child(
        _ id: String, restart: ChildSpec.Restart = .permanent, shutdownTimeout: Duration? = .seconds(5),
        generation: Int = 0, behaviour: Behaviour = .idle
    ) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdownTimeout: shutdownTimeout) { [self] in
            let incarnation = state.withLock { state in
                let next = (state[id]?.incarnation ?? 0) + 1
                state[id] = (next, nil)
                return next
            }
            func emit(_ kind: Kind) {
                continuation.yield(Event(id: id, kind: kind, incarnation: incarnation, generation: generation))
            }
            let ignored = Event(id: id, kind: .ignoredCancellation, incarnation: incarnation, generation: generation)
            let stream = continuation
            var onIgnoredCancellation: (@Sendable () -> Void)?
            if behaviour == .ignoresCancellation { onIgnoredCancellation = { stream.yield(ignored) } }
            let control = ProbeControl(onIgnoredCancellation: onIgnoredCancellation)
            state.withLock { $0[id]?.control = control }
            emit(.started)
            defer { state.withLock { if $0[id]?.control === control { $0[id]?.control = nil } } }
            if behaviour == .crashAtStart {
                emit(.failed)
                throw Crash(description: "crash at start")
            }
            switch await control.wait() {
            case .crash(let reason):
                emit(.failed)
                throw Crash(description: reason)
            case .finish:
                emit(Task.isCancelled ? .cancelled : .returned)
            case .cancelled:
                emit(.cancelled)
                throw CancellationError()
            }
        }
    }

    /// Makes the running incarnation of `id` throw; returns `false` if it is not running.
    @discardableResult
    public func crash(_ id: String, reason: String = "crash") -> Bool {
        command(id, .crash(reason))
    }

    /// Makes the running incarnation of `id` return normally; returns `false` if it is not running.
    @discardableResult
    public func finish(_ id: String) -> Bool {
        command(id, .finish)
    }

    /// Lets a child that ignores cancellation return.
    @discardableResult
    public func release(_ id: String) -> Bool {
        command(id, .finish)
    }

    /// Ends the event stream.
    public func close() {
        continuation.finish()
    }

    private func command(_ id: String, _ command: ProbeControl.Command) -> Bool {
        guard let control = state.withLock({ $0[id]?.control }) else { return false }
        control.send(command)
        return true
    }
}
