import EdgeVideoTestSupport
import Logging
import Locking
import SupervisionTestKit

@testable import Supervision

/// Runs one schedule of ``ScheduleGenerator`` on `Supervision` (no backoff) and returns the same
/// normalised trace that `Tests/OTPDifferential/otp_supervisor_trace.escript` prints for
/// Erlang/OTP's `supervisor`. Every supervisor reads one ``ManualClock``, at zero when the
/// schedule starts and moved only by `tick` operations, as the script's virtual clock is.
struct TraceHarness {
    private enum Node {
        case supervisor(id: String, parent: String?, strategy: RestartStrategy, intensity: Int, period: Int, restart: ChildSpec.Restart)
        case worker(id: String, parent: String, restart: ChildSpec.Restart, crashOnStop: Bool)
    }

    private let number: String
    private let nodes: [Node]
    private let operations: [[String]]
    private let world = World()
    private let clock = ManualClock()
    private var supervisors: [String: Supervisor] = [:]

    /// Whether the schedule can make a nested supervisor handle a crash at start while its parent
    /// is still starting the siblings after it, which both sides run concurrently
    /// (docs/architecture.md, "The OTP differential"): a worker armed to crash at start has a
    /// nested supervisor above it with a later sibling (in the tree, or added to its parent).
    /// Only such a schedule may match OTP ``perSupervisor(_:)`` instead of line for line.
    let nestedStartCase: Bool

    /// Parses one schedule (the lines from `S` to `E`).
    init(_ text: Substring) {
        var number = ""
        var nodes: [Node] = []
        var operations: [[String]] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            switch f[0] {
            case "S": number = f[1]
            case "N" where f[3] == "sup":
                nodes.append(
                    .supervisor(
                        id: f[1], parent: f[2] == "-" ? nil : f[2], strategy: RestartStrategy(rawValue: f[4])!,
                        intensity: Int(f[5])!, period: Int(f[6])!, restart: ChildSpec.Restart(rawValue: f[7])!))
            case "N":
                nodes.append(
                    .worker(id: f[1], parent: f[2], restart: ChildSpec.Restart(rawValue: f[4])!, crashOnStop: f[5] == "1"))
            case "O": operations.append(Array(f.dropFirst()))
            default: break
            }
        }
        self.number = number
        self.nodes = nodes
        self.operations = operations
        self.nestedStartCase = Self.hasNestedStartCase(nodes, operations)
    }

    private static func hasNestedStartCase(_ nodes: [Node], _ operations: [[String]]) -> Bool {
        var parent: [String: String] = [:]
        var children: [String: [String]] = [:]
        for node in nodes {
            switch node {
            case .supervisor(let id, let p?, _, _, _, _), .worker(let id, let p, _, _):
                parent[id] = p
                children[p, default: []].append(id)
            case .supervisor: continue
            }
        }
        let addedTo = Set(operations.filter { $0[0] == "add" }.map { $0[1] })
        for armed in operations where armed[0] == "arm" {
            var nested = parent[armed[1]]
            while let id = nested, let above = parent[id] {
                if children[above]!.last != id || addedTo.contains(above) { return true }
                nested = above
            }
        }
        return false
    }

    /// The trace with the events between two quiescent points grouped by the supervisor they
    /// belong to (`start`/`stop` by the child's parent, `escalate` by the supervisor itself), each
    /// group in its own order: what stays fixed when supervisors run concurrently.
    func perSupervisor(_ trace: [String]) -> [String] {
        var parent: [String: String] = [:]
        for node in nodes {
            switch node {
            case .supervisor(let id, let p, _, _, _, _): parent[id] = p ?? ""
            case .worker(let id, let p, _, _): parent[id] = p
            }
        }
        for op in operations where op[0] == "add" { parent[op[2]] = op[1] }
        var out: [String] = []
        var groups: [String: [String]] = [:]
        func flush() {
            for key in groups.keys.sorted() { out += groups[key]! }
            groups = [:]
        }
        for line in trace {
            let f = line.split(separator: " ").map(String.init)
            switch f[0] {
            case "start", "stop": groups[parent[f[1]] ?? "", default: []].append(line)
            case "escalate": groups[f[1], default: []].append(line)
            default:
                flush()
                out.append(line)
            }
        }
        flush()
        return out
    }

    /// Runs the schedule; returns its trace lines.
    mutating func run() async -> [String] {
        let logger = Logger(label: "otp-diff") { [world] _ in world.escalationLogHandler() }
        let root = build(logger: logger)
        world.trace("S \(number)")
        await withDiscardingTaskGroup { group in
            group.addImmediateTask { try? await root.run() }
            await quiesce(root)
            for operation in operations {
                await perform(operation)
                await quiesce(root)
                if !root.running.load(ordering: .acquiring) { break }
            }
            root.stop()
        }
        world.trace("E")
        return world.lines
    }

    private mutating func build(logger: Logger) -> Supervisor {
        var built: [String: Supervisor] = [:]
        for node in nodes.reversed() {
            guard case .supervisor(let id, _, let strategy, let intensity, let period, _) = node else { continue }
            let children = nodes.compactMap { child -> ChildSpec? in
                switch child {
                case .supervisor(let cid, id, _, _, _, let restart): .supervisor(built[cid]!, restart: restart)
                case .worker(let cid, id, let restart, let crashOnStop): world.worker(cid, restart: restart, crashOnStop: crashOnStop)
                default: nil
                }
            }
            built[id] = Supervisor(
                id: id, strategy: strategy, intensity: RestartIntensity(maxRestarts: intensity, period: .seconds(period)),
                backoff: .none, clock: clock, logger: logger, seed: 1, children: children)
        }
        supervisors = built
        return built["root"]!
    }

    private func perform(_ op: [String]) async {
        world.trace("O " + op.joined(separator: " "))
        var result: String?
        switch op[0] {
        case "crash", "finish":
            result = await world.signal(op[1], crash: op[0] == "crash") ? nil : "skip"
        case "arm":
            world.arm(op[1], Int(op[2])!)
        case "tick":
            clock.advance(by: .seconds(Int(op[1])!))
        case "add":
            result = await command(op[1]) {
                try await $0.startChild(world.worker(op[2], restart: ChildSpec.Restart(rawValue: op[3])!, crashOnStop: false))
            }
        default:
            result = await command(op[1]) { try await $0.terminateChild(id: op[2]) }
        }
        if let result { world.trace("= \(result)") }
    }

    private func command(_ id: String, _ body: (Supervisor) async throws -> Void) async -> String? {
        guard let supervisor = supervisors[id], alive(supervisor) else { return "skip" }
        do {
            try await body(supervisor)
            return nil
        } catch let error as SupervisorError where error.code == .duplicateChildID {
            return "duplicate"
        } catch let error as SupervisorError where error.code == .childNotFound {
            return "notfound"
        } catch {
            return "skip"
        }
    }

    /// Whether `supervisor` runs as its parent sees it (the root: whether its `run()` runs).
    private func alive(_ supervisor: Supervisor) -> Bool {
        guard supervisor.running.load(ordering: .acquiring) else { return false }
        guard supervisor.id != "root" else { return true }
        return supervisors.values.contains { parent in
            parent.childRows().contains { $0.id == supervisor.id && $0.state == .running && $0.nested === supervisor }
        }
    }

    /// Asks every live supervisor top-down to answer a call, until no exit is on its way and two
    /// passes in a row see the same tree and trace; then traces the tree.
    private func quiesce(_ root: Supervisor) async {
        var previous: (String, Int)?
        while true {
            let (dump, inFlight) = await dump(root, running: root.running.load(ordering: .acquiring))
            let now = (dump, world.count)
            if !inFlight, let previous, previous == now {
                world.trace("T \(dump)")
                return
            }
            previous = now
        }
    }

    private func dump(_ supervisor: Supervisor, running: Bool) async -> (String, Bool) {
        guard running else { return ("\(supervisor.id)-", false) }
        // A call through the inbox, answered after every event queued before it (OTP: which_children).
        do {
            try await supervisor.terminateChild(id: "")
        } catch let error as SupervisorError where error.code == .notRunning {
            await Task.yield()
            return ("\(supervisor.id)-", true)  // its run() is ending: its exit is on its way
        } catch {}
        var parts: [String] = []
        var inFlight = false
        for row in supervisor.childRows() {
            let up = row.state == .running
            // Without backoff, a child of a running supervisor is down only after a normal exit
            // of a transient one; any other down row has an exit on its way or being handled.
            inFlight = inFlight || !(up || (row.state == .stopped && row.restart == .transient))
            if let nested = row.nested {
                if up, nested.running.load(ordering: .acquiring) {
                    let (part, nestedInFlight) = await dump(nested, running: true)
                    parts.append(part)
                    inFlight = inFlight || nestedInFlight
                } else {
                    parts.append("\(row.id)-")
                    inFlight = inFlight || up
                }
            } else {
                parts.append("\(row.id)\(up ? "+" : "-")")
                inFlight = inFlight || up != world.isRunning(row.id)
            }
        }
        return ("\(supervisor.id)[\(parts.joined(separator: ","))]", inFlight)
    }
}

/// What the workers of one schedule share with the harness: the trace, armed crashes, and the
/// control of each worker's running incarnation.
final class World: Sendable {
    private struct State {
        var lines: [String] = []
        var armed: [String: Int] = [:]
        var controls: [String: WorkerControl] = [:]
    }

    private let state = Locked(State())

    var lines: [String] { state.withLock { $0.lines } }
    var count: Int { state.withLock { $0.lines.count } }

    func trace(_ line: String) {
        state.withLock { $0.lines.append(line) }
    }

    func arm(_ id: String, _ count: Int) {
        state.withLock { $0.armed[id] = count }
    }

    func isRunning(_ id: String) -> Bool {
        state.withLock { $0.controls[id]?.isRunning ?? false }
    }

    /// Makes the running incarnation of `id` crash or return and waits until its body has ended;
    /// `false` if it is not running.
    func signal(_ id: String, crash: Bool) async -> Bool {
        guard let control = state.withLock({ $0.controls[id] }), control.isRunning else { return false }
        await control.end(crash ? .crash : .finish)
        return true
    }

    /// A worker that traces its starts and stops, crashes at once while armed, and otherwise
    /// waits for ``signal(_:crash:)`` or a stop.
    func worker(_ id: String, restart: ChildSpec.Restart, crashOnStop: Bool) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdownTimeout: nil) { [self] in
            let (armed, control) = state.withLock { state -> (Bool, WorkerControl) in
                state.lines.append("start \(id)")
                let armed = state.armed[id, default: 0] > 0
                if armed { state.armed[id]! -= 1 }
                let control = WorkerControl(running: !armed)
                state.controls[id] = control
                return (armed, control)
            }
            if armed { throw WorkerCrash() }
            let command = await control.wait()
            defer { control.ended() }
            switch command {
            case .crash: throw WorkerCrash()
            case .finish: return
            case .stop:
                trace("stop \(id)")
                if crashOnStop { throw WorkerCrash() }
                throw CancellationError()
            }
        }
    }
}

struct WorkerCrash: Error {}

/// The mailbox of one worker incarnation, and its end for the harness to wait on.
final class WorkerControl: Sendable {
    enum Command: Sendable { case crash, finish, stop }

    private let commands: AsyncStream<Command>
    private let send: AsyncStream<Command>.Continuation
    /// Whether the body runs, and who waits for it to end.
    private let state: Locked<(running: Bool, waiter: CheckedContinuation<Void, Never>?)>

    init(running: Bool) {
        (commands, send) = AsyncStream.makeStream()
        state = Locked((running, nil))
    }

    var isRunning: Bool { state.withLock { $0.running } }

    /// Sends `command` and waits until the body has ended.
    func end(_ command: Command) async {
        await withCheckedContinuation { done in
            let running = state.withLock { state in
                if state.running { state.waiter = done }
                return state.running
            }
            if running { send.yield(command) } else { done.resume() }
        }
    }

    /// Waits for a command; cancellation (the supervisor stopping the worker) is `.stop`.
    func wait() async -> Command {
        var iterator = commands.makeAsyncIterator()
        return await iterator.next() ?? .stop
    }

    /// Called by the body as it returns or throws.
    func ended() {
        state.withLock { state in
            state.running = false
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }
}

extension World {
    /// A log handler that traces `escalate <id>` when a supervisor logs that it gives up, at the
    /// point it logs it.
    func escalationLogHandler() -> RecordingLogHandler {
        RecordingLogHandler(logLevel: .error) { event, _ in
            guard event.level == .error, case .string(let path)? = event.metadata?["supervisor"] else { return }
            self.trace("escalate \(path.split(separator: "/").last.map(String.init) ?? path)")
        }
    }
}
