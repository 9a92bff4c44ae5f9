import EdgeVideoTestSupport
import Foundation
import Testing
@testable import VideoPipeline

@Suite("Encoder stage")
struct EncoderTests {
    @Test(.timeLimit(.minutes(2)))
    func encodesOnItsOwnThreadAndJoinsItWhenCancelled() async throws {
        let config = PipelineConfiguration(url: "testsrc:?size=1280x720&rate=30", fps: 30, pacing: .unpaced)
        let pipeline = Pipeline(config)
        try await withCapture(pipeline.capture(name: "enc-test")) { _ in
            let encoder = Task { try await pipeline.encoder(name: "own").run() }
            for _ in 0..<20 { _ = try await pipeline.encoded.next() }
            // The JPEG work shows up as CPU time of the encoder's own thread.
            #expect(threads(named: "enc-own") == 1, "threads: \(threadNames())")
            #expect(cpuTicks(ofThreadNamed: "enc-own") > 0)
            encoder.cancel()
            await #expect(throws: CancellationError.self) { try await encoder.value }
            // run() returned after the thread's last job; the OS thread exits right after.
            try await eventually(within: .seconds(5), "the encoder's thread gone") { threads(named: "enc-own") == 0 }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func framesQueuedAcrossARestartAreEncodedByTheNextGeneration() async throws {
        // A 2 s file read unpaced: 20 frames, none dropped by the capture; the output queue holds
        // them all. Any gap in seq or source order would be a frame lost across a restart.
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.h264Clip(in: directory, seconds: 2, rate: 10, gop: 10)
        let config = PipelineConfiguration(url: "file://" + clip.path, fps: 10, loop: false, pacing: .unpaced)
        let pipeline = Pipeline(config, capacity: 4, firstSeq: 1000)
        let frames = try await withCapture(pipeline.capture(name: "gen")) { _ in
            var frames: [EncodedFrame] = []
            for generation in 0..<3 {
                let encoder = Task { try await pipeline.encoder(name: "gen\(generation)").run() }
                for _ in 0..<5 { frames.append(try await pipeline.encoded.next()) }
                encoder.cancel()
                _ = await encoder.result
            }
            return frames
        }
        #expect(frames.map(\.seq) == Array(1000..<1015))
        let times = frames.map(\.capturedAtMicros)
        #expect(zip(times.dropFirst(), times).allSatisfy { $0 >= $1 })
        #expect(pipeline.counters.snapshot().dropped == 0)
    }

    @Test(.timeLimit(.minutes(2)))
    func framesQueuedWhenCancelledAreEncodedBeforeItEnds() async throws {
        // Fill the capture queue (unpaced: the capture waits for room, drops nothing), stop the capture,
        // then run an encoder that is cancelled before it takes anything: it must drain the queue.
        let config = PipelineConfiguration(url: "testsrc:?size=320x180&rate=30", fps: 30, pacing: .unpaced)
        let pipeline = Pipeline(config, capacity: 8, firstSeq: 500)
        try await withCapture(pipeline.capture(name: "fill")) { _ in
            try await within(.seconds(20), "8 frames queued") { try await pipeline.captured.wait(until: .holding(atLeast: 8)) }
        }
        let queued = pipeline.captured.count
        let encoder = pipeline.encoder(name: "drain")
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await encoder.run()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(queued == 8 && pipeline.captured.count == 0)
        var seqs: [Int64] = []
        while let frame = pipeline.encoded.tryNext() { seqs.append(frame.seq) }
        #expect(seqs == Array(500..<508))
        let snapshot = pipeline.counters.snapshot()
        #expect(snapshot.framesEncoded == 8 && snapshot.dropped == 0)
    }

    @Test(.timeLimit(.minutes(2)))
    func stoppingCaptureThenEncoderLosesNoCapturedFrame() async throws {
        // The camera subtree's stop order: capture first (awaited), then the encoder. A 720p source
        // read unpaced outruns the encoder, so frames are queued between them when it is cancelled.
        // Nobody reads the JPEGs from the 10th until the stop, so their queue must hold whatever a
        // loaded machine encodes meanwhile (since capture scales, the two threads share the work
        // and the pair runs faster: 64 overflowed once).
        let config = PipelineConfiguration(url: "testsrc:?size=1280x720&rate=30", fps: 30, pacing: .unpaced)
        let pipeline = Pipeline(config, capacity: 8, encodedCapacity: 100_000)
        let encoder = Task { try await pipeline.encoder(name: "stop").run() }
        var seqs: [Int64] = []
        try await withCapture(pipeline.capture(name: "stop")) { _ in
            for _ in 0..<10 { seqs.append(try await pipeline.encoded.next().seq) }
        }
        encoder.cancel()
        await #expect(throws: CancellationError.self) { try await encoder.value }
        while let frame = pipeline.encoded.tryNext() { seqs.append(frame.seq) }
        let snapshot = pipeline.counters.snapshot()
        #expect(snapshot.dropped == 0)
        #expect(snapshot.framesEncoded == snapshot.framesCaptured, "\(snapshot)")
        #expect(pipeline.captured.count == 0)
        #expect(seqs == Array(0..<Int64(seqs.count)) && Int64(seqs.count) == snapshot.framesCaptured)
    }
}

/// User + system clock ticks of this process's thread named `name` (/proc/self/task/*/stat).
func cpuTicks(ofThreadNamed name: String) -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    for task in tasks {
        let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
        guard comm?.trimmingCharacters(in: .whitespacesAndNewlines) == name,
            let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based in proc(5)).
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }
    return -1
}
