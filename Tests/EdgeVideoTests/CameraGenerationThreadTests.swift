import EdgeVideoTestSupport
import Foundation
import Logging
import Locking
import Testing
import VideoPipeline

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// Each OS thread a camera generation starts (capture, encoder, AMQP connection) is joined before
/// the generation's scope returns: checked at the instant the next generation starts, not eventually.
@Suite struct CameraGenerationThreadTests {
    /// Set in the process of its own that `everyThreadOfTheProcessIsAtItsBaselineWhenAGenerationStarts`
    /// starts.
    private static let childVariable = "EDGE_VIDEO_THREAD_CENSUS_CHILD"
    private static let isChild = ProcessInfo.processInfo.environment[childVariable] == "1"

    @Test(.timeLimit(.minutes(3))) func noThreadOfAGenerationIsAliveWhenTheNextStarts() async throws {
        let restarts = 4
        let (ours, seen, after) = try await Self.runGenerations(restarts: restarts)
        #expect(after.named(ours).isEmpty, "every thread joined once the subtree has stopped")
        #expect(seen.count >= restarts + 1)
        for (generation, census) in seen.sorted(by: { $0.key < $1.key }) {
            #expect(census.named(ours).isEmpty, "generation \(generation) started while \(census.named(ours)) still ran")
        }
    }

    /// Every OS thread of the process, not only the named ones, counted at the instant each
    /// generation starts: the same as before the subtree started. Other tests' threads would blur
    /// the count, so the check runs in a process of its own (this test binary, filtered to this
    /// test); libdispatch's workers are counted apart (see ``ThreadCensus``).
    @Test(.timeLimit(.minutes(4))) func everyThreadOfTheProcessIsAtItsBaselineWhenAGenerationStarts() async throws {
        guard Self.isChild else {
            // posix_spawn with the output in files (Command), not Foundation's Process: a Process
            // whose pipes libdispatch watches crashed a TSan test runner once inside
            // _dispatch_event_loop_drain (a toolchain fault).
            let output = try await Command.run(
                CommandLine.arguments[0],
                ["--testing-library", "swift-testing", "--filter", "everyThreadOfTheProcessIsAtItsBaselineWhenAGenerationStarts"],
                environment: [Self.childVariable: "1"])
            let report = output.split(separator: "\n").filter { $0.hasPrefix("thread census") }
            #expect(report.count == 1, "the child ran the census: \(output.suffix(3000))")
            report.forEach { print($0) }
            return
        }
        let restarts = 8
        let (ours, seen, after) = try await Self.runGenerations(restarts: restarts)
        let baseline = try #require(seen[0], "the baseline before generation 1")
        #expect(seen.count >= restarts + 2)
        for (generation, census) in seen.sorted(by: { $0.key < $1.key }) where generation > 0 {
            #expect(census.named(ours).isEmpty, "generation \(generation) started while \(census.named(ours)) still ran")
            #expect(
                census.others == baseline.others,
                "generation \(generation): threads \(census.others.sorted { $0.key < $1.key }), baseline \(baseline.others.sorted { $0.key < $1.key })")
        }
        #expect(after.named(ours).isEmpty, "every thread joined once the subtree has stopped")
        let ordered = seen.sorted { $0.key < $1.key }.map(\.value)
        print(
            "thread census: baseline \(baseline.others.count) threads + \(baseline.dispatchWorkers) libdispatch workers;"
                + " at generation starts (all /proc/self/task): \(ordered.dropFirst().map(\.total));"
                + " of which libdispatch workers: \(ordered.dropFirst().map(\.dispatchWorkers))")
    }

    /// Runs one camera whose one-second clip ends every generation (a camera fault: the whole
    /// subtree restarts, with no backoff), through `restarts` restarts.
    /// - Returns: the names of the generation's threads; the census taken as each generation's scope
    ///   began (key 0: just before the subtree started); the census once the subtree has stopped.
    private static func runGenerations(restarts: Int) async throws -> (ours: Set<String>, atStart: [Int: ThreadCensus], after: ThreadCensus) {
        let h = try ApplianceHarness("threads")
        let id = "tj\(UInt16.random(in: 0...UInt16.max))"
        let ours: Set<String> = ["cap-\(id)", "enc-\(id)", "amqp-\(id)"]
        // A one-second clip played once: its end is a camera fault, so every generation ends with a
        // restart of the whole subtree (a broker fault would not restart it).
        let clip = h.directory + "/clip.mkv"
        try await Command.run("/usr/bin/ffmpeg", [
            "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "1", "-c:v", "mjpeg", "-y", clip,
        ])
        var camera = ApplianceHarness.camera(id, "file://" + clip, fps: 5, width: 160, height: 120)
        camera["loop"] = false
        var document = h.document([camera])
        // No backoff: the next generation starts the moment the previous scope returns, so a thread
        // that is only about to exit (not joined) would be caught.
        document["supervision"] = ["backoff": ["initial_s": 0, "max_s": 0], "shutdown_timeout_s": 10]
        let config = try AppConfig.decode(try JSONSerialization.data(withJSONObject: document))
        let resources = CameraResources(
            camera: config.cameras[0], sequence: FrameSequence(), instance: "t",
            routingKey: config.cameras[0].routingKey(template: config.amqp.routingKey), spool: .none)
        let atStart = Locked<[Int: ThreadCensus]>([0: ThreadCensus()])
        let (started, generationStarted) = AsyncStream<Int>.makeStream()
        let subtree = CameraSubtree(resources: resources, config: config, logger: Logger(label: "evtest.threads")) { generation in
            let census = ThreadCensus()
            atStart.withLock { $0[generation] = census }
            generationStarted.yield(generation)
        }
        let running = Task { try await subtree.supervisor.run() }
        for round in 1...restarts {
            // Generation `round` runs: its three threads are up and it publishes.
            let published = resources.publisher.snapshot().published
            _ = try await eventually(within: .seconds(30), "generation \(round) running") { () -> Bool? in
                Set(ThreadCensus().named(ours)) == ours && resources.publisher.snapshot().published > published ? true : nil
            }
            // The clip ends: the subtree restarts as a whole.
            _ = try await first(started, within: .seconds(30), what: "generation \(round + 1) started") { $0 == round + 1 }
        }
        subtree.supervisor.stop()
        try await running.value
        return (ours, atStart.withLock { $0 }, ThreadCensus())
    }
}
