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
    /// The process's stdin.
    private let input = Pipe()
    let name: String
    /// stdout, line by line, ending when the process closes it.
    let lines: AsyncStream<String>

    /// Starts `executable`. With `journalStream`, `JOURNAL_STREAM` names the stderr pipe's
    /// device and inode, as systemd sets it for a unit whose stderr is the journal.
    init(
        _ executable: String, _ arguments: [String], name: String, environment: [String: String] = [:],
        journalStream: Bool = false
    ) throws {
        self.name = name
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        var environment = environment
        if journalStream {
            var info = stat()
            guard fstat(err.fileHandleForWriting.fileDescriptor, &info) == 0 else {
                throw Failure(description: "fstat of the stderr pipe failed")
            }
            environment["JOURNAL_STREAM"] = "\(info.st_dev):\(info.st_ino)"
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
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

    /// Writes `line` and a newline to the process's stdin.
    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

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
