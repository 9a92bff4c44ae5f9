@testable import Supervision

/// Writes random, seeded supervision schedules in the text format that both
/// `Tests/OTPDifferential/otp_supervisor_trace.escript` and ``TraceHarness`` read: a tree (nested
/// supervisors of every strategy, intensities 0–4, workers of every restart type, some crashing
/// when stopped) and a list of operations (crashes, normal exits, crashes armed for the next
/// starts, dynamic `startChild` / `terminateChild`).
///
/// Every other schedule is a short-period one: its supervisors have periods of 1–3 s, and `tick`
/// operations move both sides' virtual clock by 1–4 whole seconds, so that a restart falls inside,
/// exactly on, or past the edge of an earlier one's window. The others keep a one-hour period.
struct ScheduleGenerator {
    private var rng: SplitMix64
    private var shortPeriods = false
    private var nextID = 0
    private var nodes: [String] = []
    private var workers: [String] = []
    private var supervisors: [String] = []
    private var childrenOf: [String: [String]] = [:]
    private var armable = ""

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
    }

    /// Schedule number `n`, as lines ending in `E`.
    mutating func schedule(_ n: Int) -> String {
        nodes = []
        workers = []
        supervisors = []
        childrenOf = [:]
        nextID = 0
        shortPeriods = n % 2 == 0
        addSupervisor(id: "root", parent: "-", depth: 0)
        armable = pick(workers)
        var lines = ["S \(n)"] + nodes
        for _ in 0..<(4 + roll(13)) { lines.append("O " + operation()) }
        lines.append("E")
        return lines.joined(separator: "\n") + "\n"
    }

    private mutating func addSupervisor(id: String, parent: String, depth: Int) {
        let strategy = ["one_for_one", "one_for_all", "rest_for_one"][roll(3)]
        let intensity = [0, 1, 2, 2, 3, 3, 4][roll(7)]
        let period = shortPeriods ? 1 + roll(3) : 3600
        // Transient supervisors are left out: giving up is a failure here, `shutdown` in OTP (docs/architecture.md).
        let restart = roll(4) == 0 ? "temporary" : "permanent"
        nodes.append("N \(id) \(parent) sup \(strategy) \(intensity) \(period) \(restart)")
        supervisors.append(id)
        for _ in 0..<(1 + roll(4)) {
            if depth < 2 && roll(4) == 0 {
                let child = newID("s")
                childrenOf[id, default: []].append(child)
                addSupervisor(id: child, parent: id, depth: depth + 1)
            } else {
                let child = newID("w")
                childrenOf[id, default: []].append(child)
                workers.append(child)
                nodes.append("N \(child) \(id) worker \(workerRestart()) \(roll(8) == 0 ? 1 : 0)")
            }
        }
    }

    private mutating func operation() -> String {
        if shortPeriods && roll(4) == 0 { return "tick \(1 + roll(4))" }
        let kind = roll(100)
        switch kind {
        case ..<35: return "crash \(pick(workers))"
        case ..<50: return "finish \(pick(workers))"
        case ..<60:
            // One worker per schedule: two supervisors handling crashes at start at the same time
            // race in OTP itself (which one's restart stops the other first).
            return "arm \(armable) \(1 + roll(3))"
        case ..<80:
            let parent = pick(supervisors)
            let known = childrenOf[parent, default: []].filter { !supervisors.contains($0) }
            let id = !known.isEmpty && roll(6) == 0 ? pick(known) : newID("d")
            if !known.contains(id) {
                childrenOf[parent, default: []].append(id)
                workers.append(id)
            }
            return "add \(parent) \(id) \(workerRestart())"
        default:
            let parent = pick(supervisors)
            let known = childrenOf[parent, default: []]
            return "del \(parent) \(known.isEmpty || roll(6) == 0 ? "zz" : pick(known))"
        }
    }

    private mutating func workerRestart() -> String {
        let r = roll(10)
        return r < 5 ? "permanent" : r < 8 ? "transient" : "temporary"
    }

    private mutating func newID(_ prefix: String) -> String {
        nextID += 1
        return "\(prefix)\(nextID)"
    }

    private mutating func pick(_ values: [String]) -> String {
        values[roll(values.count)]
    }

    private mutating func roll(_ n: Int) -> Int {
        Int(rng.next() % UInt64(n))
    }
}
