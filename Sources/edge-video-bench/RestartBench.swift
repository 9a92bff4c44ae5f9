import ArgumentParser
import Durations
import Locking
import Logging
import Supervision

/// `edge-video-bench restart`: time from one child's failure until all children run again.
///
/// Prints one JSON line: `restart_p50_us`, `restart_p90_us`, `restart_p99_us`, `restart_max_us`,
/// `iterations`, and the parameters.
struct RestartBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Restart latency of a subtree of idle children, one failing per iteration."
    )

    @Option(help: "Children in the subtree.")
    var children = 4

    @Option(help: "one_for_one, one_for_all or rest_for_one.")
    var strategy = "one_for_all"

    @Option(help: "Measured restarts.")
    var iterations = 20_000

    @Option(help: "Unmeasured restarts first.")
    var warmup = 2_000

    @Option(help: "Index of the child that fails.")
    var victim = 1

    func validate() throws {
        guard RestartStrategy(rawValue: strategy) != nil else {
            throw ValidationError("--strategy must be one_for_one, one_for_all or rest_for_one")
        }
        guard children >= 1, iterations >= 1, warmup >= 0, (0..<children).contains(victim) else {
            throw ValidationError("need --children >= 1, --iterations >= 1 and 0 <= --victim < --children")
        }
    }

    func run() async throws {
        let rig = BenchRig(children: children)
        let supervisor = Supervisor(
            id: "bench", strategy: RestartStrategy(rawValue: strategy)!, intensity: .unlimited,
            backoff: .none, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }),
            children: (0..<children).map { rig.spec(index: $0) }
        )
        var samples: [Int64] = []
        samples.reserveCapacity(iterations)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await supervisor.run() }
            _ = await rig.waitAllRunning()
            for i in 0..<(warmup + iterations) {
                let start = ContinuousClock.now
                rig.crash(index: victim)
                let end = await rig.waitAllRunning()
                if i >= warmup { samples.append(start.duration(to: end).nanoseconds) }
            }
            supervisor.stop()
            try await group.waitForAll()
        }
        samples.sort()
        func us(_ q: Double) -> String {
            let ns = samples[min(samples.count - 1, Int(Double(samples.count) * q))]
            return String(Double(ns / 10) / 100)
        }
        print(
            "{\"bench\":\"restart\",\"impl\":\"swift\",\"strategy\":\"\(strategy)\",\"children\":\(children),"
                + "\"iterations\":\(iterations),\"restart_p50_us\":\(us(0.5)),\"restart_p90_us\":\(us(0.9)),"
                + "\"restart_p99_us\":\(us(0.99)),\"restart_max_us\":\(us(1.0)),"
                + "\"live_tasks_after\":\(supervisor.snapshot().liveTasks)}"
        )
    }
}

/// The bench's children: each counts itself running, and the one that makes the count complete
/// stamps the time and wakes the driver. The victim throws when told to.
final class BenchRig: Sendable {
    private struct State {
        var running = 0
        var complete: ContinuousClock.Instant?
        var driver: UnsafeContinuation<ContinuousClock.Instant, Never>?
        var crashers: [UnsafeContinuation<Void, Never>?]
        var pendingCrash: [Bool]
    }

    let count: Int
    private let state: Locked<State>

    init(children: Int) {
        count = children
        state = Locked(State(crashers: Array(repeating: nil, count: children), pendingCrash: Array(repeating: false, count: children)))
    }

    func spec(index: Int) -> ChildSpec {
        ChildSpec(id: "child-\(index)") { [self] in
            started()
            defer { stopped() }
            await withTaskCancellationHandler {
                await withUnsafeContinuation { continuation in
                    let now = state.withLock { state -> Bool in
                        if state.pendingCrash[index] || Task.isCancelled { return true }
                        state.crashers[index] = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
            } onCancel: {
                state.withLock { state in
                    state.pendingCrash[index] = true
                    return state.crashers[index].take()
                }?.resume()
            }
            let crashed = state.withLock { state in
                defer { state.pendingCrash[index] = false }
                return state.pendingCrash[index]
            }
            if crashed && !Task.isCancelled { throw BenchCrash() }
        }
    }

    func crash(index: Int) {
        state.withLock { state in
            state.pendingCrash[index] = true
            return state.crashers[index].take()
        }?.resume()
    }

    /// Waits until every child is running; returns when the last one started.
    func waitAllRunning() async -> ContinuousClock.Instant {
        await withUnsafeContinuation { continuation in
            let done = state.withLock { state -> ContinuousClock.Instant? in
                if let complete = state.complete.take() { return complete }
                state.driver = continuation
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    private func started() {
        let now = ContinuousClock.now
        state.withLock { state -> (UnsafeContinuation<ContinuousClock.Instant, Never>, ContinuousClock.Instant)? in
            state.running += 1
            guard state.running == count else { return nil }
            if let driver = state.driver.take() { return (driver, now) }
            state.complete = now
            return nil
        }.map { $0.0.resume(returning: $0.1) }
    }

    private func stopped() {
        state.withLock { $0.running -= 1 }
    }
}

struct BenchCrash: Error {}
