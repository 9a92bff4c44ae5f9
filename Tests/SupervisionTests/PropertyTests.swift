import Supervision
import SupervisionTestKit
import Testing

@testable import Supervision

/// A reference model of OTP semantics for one random tree: which events a fault must produce.
final class ModelNode {
    enum Kind {
        case worker(ChildSpec.Restart)
        case supervisor(RestartStrategy, initial: [ModelNode], real: Supervisor)
    }

    let id: String
    let kind: Kind
    var running = false
    var children: [ModelNode] = []
    /// A worker's state and starts as its supervisor's table must show them.
    var state = SupervisorSnapshot.State.starting
    var starts = 0

    init(id: String, kind: Kind) {
        self.id = id
        self.kind = kind
    }

    var restart: ChildSpec.Restart {
        if case .worker(let restart) = kind { restart } else { .permanent }
    }

    /// Live tasks below this node: one per running child, recursively.
    var liveTasks: Int {
        children.filter(\.running).map { 1 + $0.liveTasks }.reduce(0, +)
    }

    /// The model's view of the subtree: ids in order, and each worker's state and restarts.
    var view: String {
        switch kind {
        case .worker: "\(id):\(state.rawValue):\(max(0, starts - 1))"
        case .supervisor: "\(id)[\(children.map(\.view).joined(separator: ","))]"
        }
    }

    /// The same view of a real snapshot (a nested supervisor's own state is left out: it becomes
    /// `running` just after its children have started).
    static func view(_ node: SupervisorSnapshot) -> String {
        switch node.kind {
        case .worker: "\(node.id):\(node.state.rawValue):\(node.restarts)"
        case .supervisor: "\(node.id)[\(node.children.map(view).joined(separator: ","))]"
        }
    }

    /// Forgets a removed child (a row that comes back starts its counts anew).
    func remove(_ child: ModelNode) {
        children.removeAll { $0 === child }
        child.starts = 0
    }

    /// Running workers, with their parent.
    func runningWorkers() -> [(ModelNode, ModelNode)] {
        children.flatMap { child -> [(ModelNode, ModelNode)] in
            guard child.running else { return [] }
            if case .worker = child.kind { return [(child, self)] }
            return child.runningWorkers()
        }
    }
}

/// The model's bookkeeping: incarnations per id and the events expected.
struct Model {
    var incarnation: [String: Int] = [:]
    var events: [String] = []

    mutating func start(_ node: ModelNode) {
        node.running = true
        node.state = .running
        node.starts += 1
        switch node.kind {
        case .worker:
            incarnation[node.id, default: 0] += 1
            events.append("\(node.id)#\(incarnation[node.id]!) started")
        case .supervisor(_, let initial, _):
            node.children = initial
            for child in initial { start(child) }
        }
    }

    mutating func stop(_ node: ModelNode) {
        guard node.running else { return }
        node.running = false
        node.state = .stopped
        switch node.kind {
        case .worker:
            events.append("\(node.id)#\(incarnation[node.id]!) cancelled")
        case .supervisor:
            for child in node.children.reversed() { stop(child) }
        }
    }

    /// Applies a worker's exit in `parent`; returns whether the child stayed stopped (no restart).
    mutating func exit(_ worker: ModelNode, in parent: ModelNode, crash: Bool) -> Bool {
        events.append("\(worker.id)#\(incarnation[worker.id]!) \(crash ? "failed" : "returned")")
        worker.running = false
        worker.state = crash ? .failed : .stopped
        let restart =
            switch worker.restart {
            case .permanent: true
            case .transient: crash
            case .temporary: false
            }
        guard restart else {
            if worker.restart == .temporary { parent.remove(worker) }
            return true
        }
        guard case .supervisor(let strategy, _, _) = parent.kind else { return false }
        let i = parent.children.firstIndex { $0 === worker }!
        switch strategy {
        case .oneForOne:
            start(worker)
        case .restForOne:
            let rest = Array(parent.children[(i + 1)...])
            for child in rest.reversed() { stop(child) }
            for child in rest where child.restart == .temporary { parent.remove(child) }
            for child in parent.children[i...] { start(child) }
        case .oneForAll:
            for child in parent.children.reversed() { stop(child) }
            for child in parent.children where child.restart == .temporary { parent.remove(child) }
            for child in parent.children { start(child) }
        }
        return false
    }
}

/// Builds a random tree of probe workers and supervisors.
struct TreeBuilder {
    var rng: SplitMix64
    let probe: Probe
    var next = 0

    mutating func supervisor(id: String, depth: Int) -> ModelNode {
        let strategy = [RestartStrategy.oneForOne, .oneForAll, .restForOne][Int(rng.next() % 3)]
        var initial: [ModelNode] = []
        var specs: [ChildSpec] = []
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            next += 1
            if depth < 3 && rng.next() % 4 == 0 {
                let child = supervisor(id: "s\(next)", depth: depth + 1)
                guard case .supervisor(_, _, let real) = child.kind else { continue }
                initial.append(child)
                specs.append(.supervisor(real))
            } else {
                let roll = rng.next() % 20
                let restart: ChildSpec.Restart = roll < 12 ? .permanent : roll < 17 ? .transient : .temporary
                initial.append(ModelNode(id: "w\(next)", kind: .worker(restart)))
                specs.append(probe.child("w\(next)", restart: restart))
            }
        }
        let real = Supervisor(
            id: id, strategy: strategy, intensity: .unlimited, backoff: .none, logger: quietLogger, children: specs
        )
        return ModelNode(id: id, kind: .supervisor(strategy, initial: initial, real: real))
    }
}

@Suite("Property: random faults on random trees")
struct PropertyTests {
    @Test(.timeLimit(.minutes(2)), arguments: 1...40)
    func faultsRestartExactlyTheRightChildren(seed: UInt64) async throws {
        let probe = Probe()
        var reader = EventReader(probe)
        var builder = TreeBuilder(rng: SplitMix64(seed: seed), probe: probe)
        let root = builder.supervisor(id: "root", depth: 0)
        guard case .supervisor(_, _, let realRoot) = root.kind else { return }
        var rng = SplitMix64(seed: seed &* 7919)
        var model = Model()
        model.start(root)
        let (_, result) = try await withRunning(realRoot) {
            #expect(await reader.next(model.events.count) == model.events, "start, seed \(seed)")
            #expect(ModelNode.view(realRoot.snapshot()) == root.view, "start, seed \(seed)")
            for fault in 0..<30 {
                let workers = root.runningWorkers()
                guard !workers.isEmpty else { break }
                let (worker, parent) = workers[Int(rng.next() % UInt64(workers.count))]
                let crash = rng.next() % 3 != 0
                model.events = []
                let stayedDown = model.exit(worker, in: parent, crash: crash)
                if crash { probe.crash(worker.id) } else { probe.finish(worker.id) }
                let seen = await reader.next(model.events.count)
                #expect(seen == model.events, "seed \(seed), fault \(fault): \(crash ? "crash" : "finish") \(worker.id)")
                if stayedDown, case .supervisor(_, _, let owner) = parent.kind {
                    // Barrier: once terminateChild has answered, the child's exit has been handled.
                    try? await owner.terminateChild(id: worker.id)
                    parent.remove(worker)
                }
                // After every step, the status shows exactly the model's table.
                #expect(ModelNode.view(realRoot.snapshot()) == root.view, "seed \(seed), fault \(fault)")
                #expect(realRoot.snapshot().liveTasks == root.liveTasks, "seed \(seed), fault \(fault)")
            }
            model.events = []
            for child in root.children.reversed() { model.stop(child) }
        }
        try result.get()
        #expect(await reader.next(model.events.count) == model.events, "stop, seed \(seed)")
        #expect(realRoot.snapshot().liveTasks == 0)
    }
}
