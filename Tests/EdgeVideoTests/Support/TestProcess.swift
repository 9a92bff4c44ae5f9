import Foundation
import Locking

/// A real subprocess (edge-video, the RTSP server, the AMQP tap) with its stdout as lines and
/// its stderr kept for failure messages. Killed when released, if still running.
final class TestProcess: Sendable {
    /// Why waiting on a subprocess failed.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let process: Process
    /// Holds stderr text; a class so the pipe's handler can share it.
    private final class TextBox: Sendable {
        let text = Locked("")
    }

    private let stderrBox = TextBox()
    let name: String
    /// stdout, line by line, ending when the process closes it.
    let lines: AsyncStream<String>

    init(_ executable: String, _ arguments: [String], name: String, environment: [String: String] = [:]) throws {
        self.name = name
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        let pending = Locked(Data())
        out.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                continuation.finish()
                return
            }
            let complete: [String] = pending.withLock { buffer in
                buffer.append(chunk)
                var result: [String] = []
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    result.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
                return result
            }
            for line in complete { continuation.yield(line) }
        }
        let box = stderrBox
        err.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                return
            }
            box.text.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
        }
        try process.run()
        self.process = process
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    /// Everything written to stderr so far.
    var stderr: String { stderrBox.text.withLock { $0 } }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits (polling, the process is external) until it exits; returns its exit status.
    func waitForExit(within timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                throw Failure(description: "\(name) still running after \(timeout); stderr:\n\(stderr.suffix(4000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// The first element of `stream` satisfying `predicate`, or a failure at the deadline.
func first<T: Sendable>(
    _ stream: AsyncStream<T>, within timeout: Duration, what: String, where predicate: @escaping @Sendable (T) -> Bool
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            for await element in stream where predicate(element) { return element }
            return nil
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let result = try await group.next()!
        group.cancelAll()
        guard let result else { throw TestProcess.Failure(description: "no \(what) within \(timeout)") }
        return result
    }
}

/// Polls `condition` (a state of external processes) until it holds or the deadline passes.
func eventually<T>(
    within timeout: Duration, _ what: String, poll: Duration = .milliseconds(100), _ condition: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    var lastError: (any Error)?
    while ContinuousClock.now < deadline {
        do {
            if let value = try await condition() { return value }
        } catch {
            lastError = error
        }
        try await Task.sleep(for: poll)
    }
    throw TestProcess.Failure(description: "\(what) did not happen within \(timeout)" + (lastError.map { " (last error: \($0))" } ?? ""))
}
