import EdgeVideoTestSupport
import Foundation

/// Every OS thread of a process at one instant (from /proc/PID/task), with libdispatch's workers
/// counted apart.
///
/// libdispatch's root-queue workers (the cooperative pool Swift tasks run on, and the overcommit
/// workers its queues use) are started when work waits and exit after some idle seconds, so their
/// number follows the load and the timing, not our code; they are told apart by the name
/// libdispatch gives them (the last 15 bytes of `com.apple.root.default-qos` and the like). Every
/// other thread is in `others`, by thread id. A thread hides among the workers only if it is
/// unnamed and started from a pool thread (it inherits the worker's name); every thread the code
/// starts is a named `DedicatedThread`, and a thread that a library starts inherits the name of the
/// thread that started it.
struct ThreadCensus: Sendable {
    /// Thread id → name, of every thread but libdispatch's workers.
    var others: [Int: String] = [:]
    /// How many libdispatch workers there were.
    var dispatchWorkers = 0

    /// Every thread, workers included.
    var total: Int { others.count + dispatchWorkers }

    /// The thread names of libdispatch's root queues, as /proc shows them (at most 15 bytes, the end).
    private static let workerNames: Set<String> = {
        let qos = ["maintenance", "background", "utility", "default", "user-initiated", "user-interactive"]
        let labels = qos.flatMap { ["com.apple.root.\($0)-qos", "com.apple.root.\($0)-qos.overcommit"] }
        return Set(labels.flatMap { label in [String(label.suffix(15)), String(label.prefix(15))] })
    }()

    /// The threads of process `pid`, this process by default.
    init(pid: Int32? = nil) {
        // Threads that have begun to exit are not counted: a joined thread may still be listed.
        for thread in liveThreads(pid: pid) {
            if Self.workerNames.contains(thread.name) { dispatchWorkers += 1 } else { others[thread.tid] = thread.name }
        }
    }

    /// The threads whose name is in `names`.
    func named(_ names: Set<String>) -> [String] {
        others.values.filter(names.contains)
    }
}
