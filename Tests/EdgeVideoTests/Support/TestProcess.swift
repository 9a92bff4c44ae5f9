import Durations
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
    /// Holds stderr text; a class so the pipe's reader can share it.
    private final class TextBox: Sendable {
        let text = Locked("")
    }

    private let stderrBox = TextBox()
    /// The exit status, once `Process` has reaped the child (its termination handler).
    private let exitStatus = Watched<Int32?>(nil)
    /// The process's stdin.
    private let input = Pipe()
    /// The read end of the stdout pipe, for ``outputDiagnosis()``.
    private let stdoutDescriptor: Int32
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
        stdoutDescriptor = out.fileHandleForReading.fileDescriptor
        let exitStatus = exitStatus
        process.terminationHandler = { ended in exitStatus.update { $0 = ended.terminationStatus } }
        try process.run()
        self.process = process
        // Read only once the child runs: until then nobody would ever close the write ends.
        let pending = Locked(Data())
        readToEnd(out.fileHandleForReading, thread: "evtest stdout") { chunk in
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
        } atEnd: {
            continuation.finish()
        }
        let box = stderrBox
        readToEnd(err.fileHandleForReading, thread: "evtest stderr") { chunk in
            box.text.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
        } atEnd: {}
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

    /// Waits until it exits, woken by its termination; returns its exit status.
    func waitForExit(within timeout: Duration) async throws -> Int32 {
        let exitStatus = exitStatus
        // nil at the deadline; a wait cut short by cancellation is rethrown below.
        let status: Int32? = await withTimeout(timeout) { (try? await exitStatus.wait { $0 != nil }) ?? nil } ?? nil
        try Task.checkCancellation()
        guard let status else {
            throw Failure(description: "\(name) still running after \(timeout); stderr:\n\(stderr.suffix(4000))")
        }
        return status
    }

    /// Every line of stdout until the process closes it; fails at the deadline, saying why stdout
    /// has not ended (``outputDiagnosis()``).
    func allLines(within timeout: Duration) async throws -> [String] {
        let lines = self.lines
        let collected = try await withThrowingTaskGroup(of: [String]?.self) { group in
            group.addTask { await lines.reduce(into: []) { $0.append($1) } }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
        guard let collected else {
            throw Failure(description: "\(name): stdout did not end within \(timeout): \(outputDiagnosis())")
        }
        return collected
    }

    /// Why stdout may not have ended: whether the process still runs, what the pipe's read end
    /// shows (data, end of file, or nothing), and every process that holds its write end.
    func outputDiagnosis() -> String {
        var parts = [process.isRunning ? "still running" : "exited \(process.terminationStatus)"]
        var poller = pollfd(fd: stdoutDescriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, 0)
        parts.append(
            "read end: poll \(ready), " + (poller.revents & Int16(POLLHUP) != 0 ? "end of file (no writer left)" : "")
                + (poller.revents & Int16(POLLIN) != 0 ? " data" : "") + (ready == 0 ? "nothing (a writer is open)" : ""))
        var info = stat()
        if fstat(stdoutDescriptor, &info) == 0 {
            let pipe = "pipe:[\(info.st_ino)]"
            var writers: [String] = []
            let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            for pid in pids where Int32(pid) != nil {
                let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
                for fd in fds where (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) == pipe {
                    let fdinfo = (try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8)) ?? ""
                    let flags = fdinfo.split(separator: "\n").first { $0.hasPrefix("flags:") }
                        .flatMap { Int($0.split(separator: "\t").last ?? "", radix: 8) } ?? 0
                    guard flags & Int(O_ACCMODE) == Int(O_WRONLY) else { continue }
                    let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
                        .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                    let parent = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?
                        .split(separator: ")").last?.split(separator: " ").dropFirst().first ?? "?"
                    writers.append("pid \(pid) (\(comm), parent \(parent)) fd \(fd)")
                }
            }
            parts.append("write end of \(pipe) held by: " + (writers.isEmpty ? "nobody" : writers.joined(separator: ", ")))
        }
        return parts.joined(separator: "; ")
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Reads `handle` to its end with blocking `read(2)` on a thread of its own, hands each chunk to
/// `chunk`, then calls `atEnd` and closes the handle.
///
/// Not `FileHandle.readabilityHandler`: on Linux its dispatch source often never fired for a pipe
/// that already held its data and its end of file when the source was armed (a child as quick as
/// `systemd-analyze security`, 0.01 s, under ThreadSanitizer's slowdown), nor after the pipe got
/// the descriptor number of another handle closed while a handler was set; the test then waited
/// for an end of file that was there all along (docs/testing.md).
func readToEnd(
    _ handle: FileHandle, thread name: String, _ chunk: @escaping @Sendable (Data) -> Void, atEnd: @escaping @Sendable () -> Void
) {
    let reader = Thread {
        let descriptor = handle.fileDescriptor
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                chunk(Data(buffer[..<count]))
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        atEnd()
        // The reader owns the read end: it is closed only here, after its end of file.
        try? handle.close()
    }
    reader.name = name
    reader.start()
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

