import EdgeVideoTestSupport
import Foundation
import Testing
@testable import VideoPipeline

/// Opens and cancels captures many times; threads and file descriptors must come back.
///
/// Threads and fds of this test are told apart from those of tests running in parallel by the
/// capture thread name and by what the fd points at. When run alone
/// (`EDGE_VIDEO_ISOLATED_LEAK_TEST=1 swift test --filter LeakTests`, as scripts/asan.sh does),
/// the totals of /proc/self/task and /proc/self/fd are checked against their baseline too.
@Suite("Open/cancel leak test", .serialized)
struct LeakTests {
    private static let isolated = ProcessInfo.processInfo.environment["EDGE_VIDEO_ISOLATED_LEAK_TEST"] == "1"

    @Test(.timeLimit(.minutes(5)))
    func fiveHundredFileCapturesOpenAndCancelCleanly() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.h264Clip(in: directory, seconds: 2)
        try await warmUp("file://" + clip.path)
        let baseline = ProcessResources()
        for cycle in 0..<500 {
            let pipeline = Pipeline(PipelineConfiguration(url: "file://" + clip.path, fps: 5))
            let task = Task { try await pipeline.capture(name: "leak").run() }
            // Alternate between cancelling at once (during open) and after the first frame.
            if cycle % 2 == 1 { try await readFrames(1, from: pipeline, task) }
            task.cancel()
            let result = await task.result
            #expect(throws: CancellationError.self) { try result.get() }
        }
        try await eventually(within: .seconds(10), "every cap-leak thread gone") { threads(named: "cap-leak") == 0 }
        #expect(fds(pointingAt: clip.path) == 0)
        if Self.isolated {
            try await eventually(within: .seconds(15), "threads/fds back to baseline (excess: \(ProcessResources().excess(over: baseline)))") {
                ProcessResources().excess(over: baseline).isEmpty
            }
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func rtspCapturesOpenAndCancelCleanly() async throws {
        let (server, base) = try await Fixtures.rtspServer()
        defer { server.terminate() }
        let port = Int(base.split(separator: ":").last!)!
        try await warmUp(base + "/cam0")
        let baseline = ProcessResources()
        for cycle in 0..<30 {
            let pipeline = Pipeline(PipelineConfiguration(url: base + "/cam0", fps: 5))
            let task = Task { try await pipeline.capture(name: "leak-rtsp").run() }
            if cycle % 3 == 2 { try await readFrames(1, from: pipeline, task) }
            task.cancel()
            let (result, elapsed) = await measure { await task.result }
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(elapsed < .seconds(1))
        }
        try await eventually(within: .seconds(10), "every cap-leak-rtsp thread gone") { threads(named: "cap-leak-rtsp") == 0 }
        #expect(sockets(connectedTo: port) == 0)
        if Self.isolated {
            try await eventually(within: .seconds(15), "threads/fds back to baseline (excess: \(ProcessResources().excess(over: baseline)))") {
                ProcessResources().excess(over: baseline).isEmpty
            }
        }
    }
}

/// One capture to the first frame, so that one-time process state (libdispatch's timer and
/// event fds, libav's static tables) is in the baseline rather than counted as a leak.
private func warmUp(_ url: String) async throws {
    let pipeline = Pipeline(PipelineConfiguration(url: url, fps: 5))
    let task = Task { try await pipeline.capture(name: "warm-up").run() }
    try await readFrames(1, from: pipeline, task)
    task.cancel()
    _ = await task.result
    try await eventually(within: .seconds(10), "the warm-up capture's thread gone") { threads(named: "cap-warm-up") == 0 }
}

/// Thread names and the number of open fds of this process, from /proc/self.
///
/// libdispatch's worker threads (named after their queue's QoS) come and go with load and are
/// left out; every other thread, ours included, counts.
private struct ProcessResources {
    var threadNames: [String: Int] = [:]
    var fds: [String] = []

    init() {
        let manager = FileManager.default
        for name in EdgeVideoTestSupport.threadNames() where !name.contains("qos") && !name.contains("dispatch") {
            threadNames[name, default: 0] += 1
        }
        fds = ((try? manager.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).map {
            (try? manager.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) ?? "?"
        }
    }

    /// What is above `baseline`: extra threads by name, extra fds; empty when back to baseline.
    func excess(over baseline: ProcessResources) -> [String] {
        var extra = threadNames.compactMap { name, count in
            count > baseline.threadNames[name, default: 0] ? "\(count - baseline.threadNames[name, default: 0]) x thread \(name)" : nil
        }
        if fds.count > baseline.fds.count {
            var remaining = baseline.fds
            let added = fds.filter { target in
                guard let index = remaining.firstIndex(of: target) else { return true }
                remaining.remove(at: index)
                return false
            }
            extra.append("\(fds.count - baseline.fds.count) fds: \(added)")
        }
        return extra
    }
}

/// Our fds whose target is `path`.
private func fds(pointingAt path: String) -> Int {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path }.count
}

/// Our TCP sockets whose remote end is 127.0.0.1:`port` (socket inodes matched in /proc/net/tcp).
private func sockets(connectedTo port: Int) -> Int {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    let inodes = Set(fds.compactMap { fd -> Substring? in
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"),
            target.hasPrefix("socket:[")
        else { return nil }
        return Substring(target.dropFirst("socket:[".count).dropLast())
    })
    let remote = String(format: "0100007F:%04X", port)
    return tcpTable().filter { line in
        let fields = line.split(separator: " ")
        return fields.count > 9 && fields[2] == remote && inodes.contains(fields[9])
    }.count
}
