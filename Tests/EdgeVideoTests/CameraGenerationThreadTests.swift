import Foundation
import Logging
import Locking
import Testing
import VideoPipeline

@testable import EdgeVideo

/// Each OS thread a camera generation starts (capture, encoder, AMQP connection) is joined before
/// the generation's scope returns: checked at the instant the next generation starts, not eventually.
@Suite struct CameraGenerationThreadTests {
    @Test(.timeLimit(.minutes(3))) func noThreadOfAGenerationIsAliveWhenTheNextStarts() async throws {
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
        let resources = CameraResources(camera: config.cameras[0], sequence: FrameSequence(), instance: "t")
        // Generation number → our threads alive, and the process's thread count, as its scope began.
        let atStart = Locked<[Int: (alive: [String], total: Int)]>([:])
        let subtree = CameraSubtree(resources: resources, config: config, logger: Logger(label: "evtest.threads")) { generation in
            let names = threadNames()
            atStart.withLock { $0[generation] = (names.filter(ours.contains), names.count) }
        }
        let running = Task { try await subtree.supervisor.run() }
        let restarts = 4
        for round in 1...restarts {
            // Generation `round` runs: its three threads are up and it publishes.
            let published = resources.publisher.snapshot().published
            _ = try await eventually(within: .seconds(30), "generation \(round) running") { () -> Bool? in
                Set(threadNames()).isSuperset(of: ours) && resources.publisher.snapshot().published > published ? true : nil
            }
            // The clip ends: the subtree restarts as a whole.
            _ = try await eventually(within: .seconds(30), "generation \(round + 1) started") { () -> Bool? in
                atStart.withLock { $0[round + 1] } != nil ? true : nil
            }
        }
        subtree.supervisor.stop()
        try await running.value
        #expect(threadNames().filter(ours.contains).isEmpty, "every thread joined once the subtree has stopped")

        let seen = atStart.withLock { $0 }
        #expect(seen.count >= restarts + 1)
        for (generation, start) in seen.sorted(by: { $0.key < $1.key }) {
            #expect(start.alive.isEmpty, "generation \(generation) started while \(start.alive) still ran")
        }
        // The totals include other suites' threads (tests run in parallel), so they are printed, not compared.
        print("thread counts at generation starts: \(seen.sorted { $0.key < $1.key }.map(\.value.total))")
    }
}

/// The names of this process's threads, from procfs.
func threadNames() -> [String] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
        .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
}
