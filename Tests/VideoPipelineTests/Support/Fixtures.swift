import EdgeVideoTestSupport
import Foundation
import Testing
@testable import VideoPipeline

/// Files and ports the tests need, made with the real ffmpeg CLI.
enum Fixtures {
    /// A fresh directory under the system temp dir.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs the ffmpeg CLI with `arguments` and waits for it to succeed.
    static func ffmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-v", "error", "-y", "-nostdin"] + arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("ffmpeg \(arguments) failed") }
    }

    /// An H.264 clip of `seconds` from lavfi testsrc2, `size`, `rate` fps, keyframe every `gop` frames.
    /// - Parameter bFrames: B-frames between reference frames; none of them is a reference
    ///   (`nal_ref_idc` 0, no B-pyramid), as in a camera's stream with non-reference frames.
    static func h264Clip(
        in directory: URL, seconds: Int = 2, size: String = "320x240", rate: Int = 15, gop: Int = 15, bFrames: Int = 0
    ) throws -> URL {
        let url = directory.appendingPathComponent("clip-\(size)-\(rate)-\(gop)-\(bFrames).mp4")
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate):duration=\(seconds)",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "\(gop)", "-keyint_min", "\(gop)",
            "-sc_threshold", "0", "-bf", "\(bFrames)", "-pix_fmt", "yuv420p",
        ] + (bFrames > 0 ? ["-x264-params", "b-pyramid=none"] : []) + [url.path])
        return url
    }

    /// How ``clip(in:_:)`` encodes its clip.
    struct ClipShape: Hashable, CustomStringConvertible {
        enum Codec: String { case h264 = "libx264", hevc = "libx265", mpeg4 }
        var codec = Codec.h264
        var size = "160x120"
        var seconds = 4
        var rate = 15
        /// Frames from one keyframe to the next, when `keyframes` is empty.
        var gop = 15
        /// Times (seconds) of the keyframes instead, at irregular intervals.
        var keyframes: [Double] = []
        var bFrames = 0
        /// Keyframes that later pictures may still refer past (non-IDR I-pictures in H.264, CRA
        /// pictures in HEVC), as open-GOP encoders make them.
        var openGOP = false

        var description: String {
            let keys = keyframes.isEmpty ? "gop \(gop)" : "keyframes at \(keyframes.map { ($0 * 1000).rounded() / 1000 })"
            return "\(codec) \(rate) fps, \(keys), \(bFrames) B-frames\(openGOP ? ", open GOP" : "")"
        }
    }

    /// A clip from lavfi testsrc2 of the given shape.
    static func clip(in directory: URL, _ shape: ClipShape) throws -> URL {
        let url = directory.appendingPathComponent("clip-\(UUID().uuidString).mp4")
        let gop = shape.keyframes.isEmpty ? shape.gop : 10_000
        var arguments = [
            "-f", "lavfi", "-i", "testsrc2=size=\(shape.size):rate=\(shape.rate):duration=\(shape.seconds)",
            "-c:v", shape.codec.rawValue, "-pix_fmt", "yuv420p", "-g", "\(gop)",
        ]
        if !shape.keyframes.isEmpty {
            arguments += ["-force_key_frames", shape.keyframes.map { String(format: "%.4f", $0) }.joined(separator: ",")]
        }
        switch shape.codec {
        case .h264:
            arguments += ["-preset", "ultrafast", "-keyint_min", shape.keyframes.isEmpty ? "\(gop)" : "1", "-sc_threshold", "0", "-bf", "\(shape.bFrames)"]
            var params = shape.bFrames > 0 ? ["b-pyramid=none"] : []
            if shape.openGOP { params.append("open-gop=1") }
            if !params.isEmpty { arguments += ["-x264-params", params.joined(separator: ":")] }
        case .hevc:
            let minimum = shape.keyframes.isEmpty ? gop : 1
            arguments += [
                "-preset", "ultrafast", "-x265-params",
                "log-level=error:keyint=\(gop):min-keyint=\(minimum):scenecut=0:bframes=\(shape.bFrames):open-gop=\(shape.openGOP ? 1 : 0)",
            ]
        case .mpeg4:
            arguments += ["-bf", "\(shape.bFrames)", "-q:v", "5"]
        }
        try ffmpeg(arguments + [url.path])
        return url
    }

    /// Starts scripts/rtsp-server.py on a free port and waits for READY.
    /// - Returns: the server and its base URL `rtsp://127.0.0.1:PORT`.
    static func rtspServer(mounts: [String] = ["/cam0"], gop: Int = 15) async throws -> (ExternalProcess, String) {
        let script = RepositoryFiles.path("scripts/rtsp-server.py")
        var arguments = [script, "--port", "0", "--size", "320x240", "--rate", "15", "--gop", "\(gop)"]
        for mount in mounts { arguments += ["--mount", mount] }
        let server = try ExternalProcess("/usr/bin/python3", arguments)
        let line = try await server.waitForLine(startingWith: "READY ")
        return (server, String(line.dropFirst("READY ".count)))
    }
}

/// Measures how long `body` takes on the test's own clock.
func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let start = ContinuousClock.now
    let value = try await body()
    return (value, ContinuousClock.now - start)
}

/// A capture + encoder pair for one test, with its own queues and counters.
struct Pipeline {
    let configuration: PipelineConfiguration
    let captured: FrameQueue<CapturedFrame>
    let encoded: FrameQueue<EncodedFrame>
    let counters = PipelineCounters()
    let sequence: FrameSequence

    init(_ configuration: PipelineConfiguration, capacity: Int = 8, encodedCapacity: Int = 64, firstSeq: Int64 = 0) {
        self.configuration = configuration
        self.captured = FrameQueue(capacity: capacity)
        self.encoded = FrameQueue(capacity: encodedCapacity)
        self.sequence = FrameSequence(next: firstSeq)
    }

    func capture(name: String = "test") -> Capture {
        Capture(configuration: configuration, output: captured, counters: counters, name: name)
    }

    func encoder(name: String = "test") -> Encoder {
        Encoder(
            configuration: configuration, input: captured, output: encoded, counters: counters, sequence: sequence,
            name: name)
    }
}

/// Runs `capture` in a child task, hands the task to `body`, then cancels and awaits it.
/// - Returns: what `body` returned, and how the capture ended (`nil` = normally).
func withCapture<T: Sendable>(
    _ capture: Capture, _ body: (Task<Void, any Error>) async throws -> T
) async throws -> T {
    let task = Task { try await capture.run() }
    do {
        let value = try await body(task)
        task.cancel()
        _ = await task.result
        return value
    } catch {
        task.cancel()
        _ = await task.result
        throw error
    }
}

/// Reads `count` frames from the capture queue, failing after `timeout` (the capture may have
/// ended with an error, which is then reported).
func readFrames(
    _ count: Int, from pipeline: Pipeline, _ task: Task<Void, any Error>, timeout: Duration = .seconds(15)
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            for _ in 0..<count { _ = try await pipeline.captured.next() }
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            task.cancel()
            throw TestFailure("no \(count) frames within \(timeout): \(await task.result)")
        }
        defer { group.cancelAll() }
        try await group.next()
    }
}

/// Runs `body`, failing if it has not returned within `timeout` (it is cancelled then).
func within<T: Sendable>(
    _ timeout: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let value = try await group.next()! else { throw TestFailure("\(what): not within \(timeout)") }
        return value
    }
}

/// The lines of /proc/net/tcp, read to its end (empty if it cannot be read).
///
/// /proc reports the file's size as 0, and `String(contentsOfFile:)` stops after one page, which a
/// machine with a few dozen sockets (a whole suite's TIME_WAITs) exceeds.
func tcpTable() -> [Substring] {
    guard let handle = FileHandle(forReadingAtPath: "/proc/net/tcp") else { return [] }
    defer { try? handle.close() }
    return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
}

/// Whether something listens on 127.0.0.1:`port` (from /proc/net/tcp, without connecting).
func isListening(port: Int) -> Bool {
    let local = String(format: "0100007F:%04X", port)
    return tcpTable().contains { line in
        let fields = line.split(separator: " ")
        return fields.count > 3 && fields[1] == local && fields[3] == "0A"
    }
}
