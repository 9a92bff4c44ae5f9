import EdgeVideoTestSupport
import Foundation
import Locking
import Testing

@testable import EdgeVideo

/// One fault family against the real binary: edge-video publishing into a durable queue, the
/// figures it started from (live tasks, threads but libdispatch's workers, fds, broker
/// connections), recovery times after each fault, and the final accounting of every frame.
/// Prints one `FAULTROW {json}` line for `scripts/faults.sh`.
final class FaultRun: Sendable {
    /// What a process and its broker hold at one moment.
    struct Footprint: Sendable, Equatable, CustomStringConvertible {
        var liveTasks: Int
        var threads: Int
        var fds: Int
        var connections: Int
        /// The threads' names, sorted (not compared: a leak report says which thread it is).
        var threadNames: [String] = []

        static func == (a: Footprint, b: Footprint) -> Bool {
            (a.liveTasks, a.threads, a.fds, a.connections) == (b.liveTasks, b.threads, b.fds, b.connections)
        }

        var description: String {
            "live_tasks \(liveTasks), threads (libdispatch's workers apart) \(threads) \(threadNames), fds \(fds), broker connections \(connections)"
        }
    }

    let fault: String
    let harness: ApplianceHarness
    let app: TestProcess
    let queue: String
    let cameraIDs: [String]
    let baseline: Footprint
    private let recoveries = Recoveries()
    /// The broker connections (camera id → `connected_at`) after the last recovery.
    private let lastConnections: Locked<[String: Int]>

    /// How many times each fault runs: `EDGE_VIDEO_FAULT_RUNS` (scripts/faults.sh), else `suite`.
    static func runs(suite: Int) -> Int {
        ProcessInfo.processInfo.environment["EDGE_VIDEO_FAULT_RUNS"].flatMap(Int.init).map { max(1, $0) } ?? suite
    }

    /// A test's time limit in minutes: `suite` in the suite, plus 2 minutes a run under scripts/faults.sh.
    static func minutes(_ suite: Int) -> Int {
        guard let runs = ProcessInfo.processInfo.environment["EDGE_VIDEO_FAULT_RUNS"].flatMap(Int.init) else { return suite }
        return suite + 2 * max(1, runs)
    }

    /// Starts edge-video with `cameras`, a durable queue bound to its exchange, and waits until every
    /// camera is connected and confirming; then records the baseline.
    init(
        _ fault: String, harness: ApplianceHarness, cameras: [[String: Any]], amqp: [String: Any] = [:],
        spool: [String: Any] = [:], queueArguments: [String] = [], declareVia: String? = nil
    ) async throws {
        self.fault = fault
        self.harness = harness
        queue = "ev.test.\(harness.name).\(UUID().uuidString.prefix(8))"
        cameraIDs = cameras.compactMap { $0["id"] as? String }
        try harness.writeConfig(cameras, amqp: amqp, spool: spool)
        _ = try await harness.tap(queue: queue, declareOnly: true, queueArguments: queueArguments, via: declareVia)
        app = try harness.start()
        let ids = cameraIDs
        _ = try await harness.waitForStatus("every camera confirming", app: app) { status in
            ids.allSatisfy { status.cameras[$0]?.broker == .connected && (status.cameras[$0]?.confirmed ?? 0) >= 5 }
        }
        // Start-up is over once its pages are released (on a thread of its own, for a moment:
        // Sources/EdgeVideo/System/StartupPages.swift); the baseline is taken after that.
        _ = try await eventually(within: .seconds(70), "start-up pages released", poll: .milliseconds(50)) { [app] in
            app.stderr.contains("released start-up pages") ? true : nil
        }
        baseline = try await Self.footprint(harness: harness, app: app)
        lastConnections = Locked(try harness.connections())
    }

    /// The footprint now.
    static func footprint(harness: ApplianceHarness, app: TestProcess) async throws -> Footprint {
        let status = try await harness.status()
        // libdispatch's workers come and go with load (see ThreadCensus): every other thread counts.
        let census = ThreadCensus(pid: app.pid)
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(app.pid)/fd").count) ?? -1
        let connections = try harness.connections().count
        return Footprint(
            liveTasks: status.liveTasks, threads: census.others.count, fds: fds, connections: connections,
            threadNames: census.others.values.sorted())
    }

    /// Waits until every camera confirms again on a new connection (not the one it had after the
    /// last recovery); records each camera's recovery: the new connection's `connected_at` minus
    /// `accepted`, the moment the broker (or the path to it) took connections again.
    @discardableResult
    func waitForRecovery(acceptedAt accepted: Date, within timeout: Duration = .seconds(60)) async throws -> [Double] {
        let ids = cameraIDs
        let old = lastConnections.withLock { $0 }
        let connections = try await eventually(within: timeout, "\(fault): every camera on a new connection", poll: .milliseconds(100)) {
            let now = try harness.connections()
            return ids.allSatisfy { now[$0] != nil && now[$0] != old[$0] } ? now : nil
        }
        let before = try await harness.status()
        _ = try await harness.waitForStatus("\(fault): every camera confirming again", within: timeout, app: app) { status in
            ids.allSatisfy { id in
                status.cameras[id]?.broker == .connected && (status.cameras[id]?.confirmed ?? 0) > (before.cameras[id]?.confirmed ?? 0)
            }
        }
        lastConnections.withLock { $0 = connections }
        var times: [Double] = []
        for id in ids {
            let connectedAt = try #require(connections[id], "\(id) has no broker connection")
            times.append(max(0, Double(connectedAt) / 1000 - accepted.timeIntervalSince1970))
        }
        recoveries.add(times)
        return times
    }

    /// Waits until the footprint is back at the baseline exactly; returns what differs if it is not
    /// within `timeout`.
    func leaks(within timeout: Duration = .seconds(30)) async throws -> String? {
        let deadline = ContinuousClock.now + timeout
        var last = try await Self.footprint(harness: harness, app: app)
        while last != baseline, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            last = try await Self.footprint(harness: harness, app: app)
        }
        return last == baseline ? nil : "baseline \(baseline); now \(last)"
    }

    /// SIGTERM, then the accounting: in_flight 0, ledger balanced, every seq of every camera in the
    /// queue or counted. Prints the `FAULTROW` line and returns the report.
    @discardableResult
    func finish(runs: Int, leaks: String?, maxRecovery: Double? = 2.0) async throws -> FaultReport {
        app.signal(SIGTERM)
        #expect(try await app.waitForExit(within: .seconds(60)) == 0, "\(app.stderr.suffix(3000))")
        let final = try JSONDecoder().decode(StatusDocument.self, from: try Data(contentsOf: URL(fileURLWithPath: harness.statusPath)))
        ApplianceHarness.checkLedger(final)
        let inQueue = try await harness.drain(queue: queue)
        var report = FaultReport(fault: fault, runs: runs)
        report.duplicates = inQueue.count - inQueue.distinct
        for id in cameraIDs {
            let camera = try #require(final.cameras[id])
            // After a graceful stop with the broker back, nothing waits anywhere, and the ledger
            // agrees with what its containers really hold.
            #expect(camera.inFlight == 0 && camera.queuedForPublish == 0 && camera.spooled == 0,
                    "\(fault) \(id): not settled after the stop: \(camera)")
            let containers = camera.containers ?? [:]
            #expect(camera.queuedForPublish == (containers["pending"] ?? -1) + (containers["queue"] ?? -1),
                    "\(fault) \(id): queued_for_publish \(camera.queuedForPublish), containers hold \(containers)")
            let seqs = (inQueue.seqs[id] ?? []).filter { $0 >= 0 && $0 < camera.framesEncoded }
            // Frames not in the queue must each be counted somewhere other than `confirmed`.
            let counted = camera.droppedAfterEncode + camera.queuedForPublish + camera.spooled + camera.spoolDropped
                + camera.expired + camera.damaged + camera.nacked + camera.returned + camera.rejected
            let missing = camera.framesEncoded - seqs.count
            let lost = max(0, missing - counted) + max(0, camera.confirmed - seqs.count)
            #expect(lost == 0, "\(fault) \(id): \(lost) frames lost: \(seqs.count) seqs in the queue; \(camera)")
            // By identity: every frame the ledger calls confirmed is in the queue.
            let confirmed = ConfirmedIDs(summary: camera.confirmedIDs)
            #expect(confirmed.count == camera.confirmed, "\(fault) \(id): the trace has \(confirmed.count) confirmed ids, the ledger \(camera.confirmed)")
            let absent = confirmed.missing(from: inQueue.ids)
            #expect(absent.isEmpty, "\(fault) \(id): confirmed but not in the queue: \(absent.prefix(20))")
            report.encoded += camera.framesEncoded
            report.confirmed += camera.confirmed
            report.lost += lost + absent.count
        }
        if let spool = final.spool {
            let spooled = final.cameras.values.reduce(0) { $0 + $1.spooled }
            #expect(spool.unread == spooled, "\(fault): the spool holds \(spool.unread) unread frames, the ledgers \(spooled)")
        }
        report.recoveries = recoveries.all
        report.leaks = leaks
        if let leaks { Issue.record("\(fault): not back to the baseline: \(leaks)") }
        if let maxRecovery, let worst = report.recoveries.max() {
            #expect(worst <= maxRecovery, "\(fault): recoveries \(report.recoveries)")
        }
        print("FAULTROW " + report.json)
        return report
    }
}

/// The figures of one fault family (one row of `scripts/faults.sh`).
struct FaultReport: Sendable {
    var fault: String
    var runs: Int
    var encoded = 0
    var confirmed = 0
    var lost = 0
    var duplicates = 0
    var recoveries: [Double] = []
    var leaks: String?

    var json: String {
        let object: [String: Any] = [
            "fault": fault, "runs": runs, "encoded": encoded, "confirmed": confirmed, "lost": lost,
            "duplicates": duplicates, "recoveries": recoveries.map { ($0 * 1000).rounded() / 1000 },
            "leaks": leaks ?? "none",
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Recovery times collected over the runs of a fault (a lock-protected list).
private final class Recoveries: Sendable {
    private let list = Locked<[Double]>([])
    func add(_ times: [Double]) { list.withLock { $0 += times } }
    var all: [Double] { list.withLock { $0 } }
}
