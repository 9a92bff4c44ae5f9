import Durations
import Foundation
import Locking

/// A child process started by a test (RTSP server, ffmpeg), with its stdout collected, killed
/// when the test is done.
final class ExternalProcess: Sendable {
    private let process: Process
    private let output = OutputBuffer()

    /// Starts `executable` with `arguments`; stderr is discarded.
    init(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        self.process = process
        try process.run()
        // Blocking reads on a thread of its own, not `FileHandle.readabilityHandler`, whose
        // dispatch source on Linux can miss a pipe's data and end of file (see `readToEnd` in
        // Tests/EdgeVideoTests/Support/TestProcess.swift). Started once the child runs: until then
        // nobody would close the write end.
        let reader = Thread { [output] in
            let handle = pipe.fileHandleForReading
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    output.state.update { $0.text += String(decoding: buffer[..<count], as: UTF8.self) }
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            output.state.update { $0.ended = true }
            try? handle.close()
        }
        reader.name = "evtest output"
        reader.start()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits for a line starting with `prefix`, woken by each read of the child's stdout; fails at
    /// the deadline, or once stdout has ended without one.
    func waitForLine(startingWith prefix: String, timeout: Duration = .seconds(20)) async throws -> String {
        let state = output.state
        // nil at the deadline; a wait cut short by cancellation is rethrown below.
        let seen: OutputBuffer.State? = await withTimeout(timeout) {
            try? await state.wait { $0.line(startingWith: prefix) != nil || $0.ended }
        } ?? nil
        try Task.checkCancellation()
        if let line = seen?.line(startingWith: prefix) { return line }
        throw TestFailure("no '\(prefix)' line from \(process.executableURL?.path ?? "?"): \(state.value.text)")
    }

    /// Waits for the child's `READY <port>` line and returns the port; a line without one is a
    /// test failure that quotes it, not a trap that takes the whole test process down.
    func waitForReadyPort(timeout: Duration = .seconds(20)) async throws -> Int {
        let line = try await waitForLine(startingWith: "READY ", timeout: timeout)
        guard let port = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw TestFailure("no port in the line '\(line)'")
        }
        return port
    }

    /// Sends `signal` to the child.
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Kills the child (SIGKILL, then SIGCONT in case it was stopped) and reaps it.
    func terminate() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        kill(process.processIdentifier, SIGCONT)
        process.waitUntilExit()
    }

    deinit { terminate() }
}

/// A test precondition that did not hold.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Collected stdout of a child, shared with the pipe's reader.
final class OutputBuffer: Sendable {
    struct State: Sendable {
        var text = ""
        /// The child closed its stdout.
        var ended = false

        /// The first complete line starting with `prefix`: a line still being written could be
        /// cut short ("READY 4" of "READY 43837").
        func line(startingWith prefix: String) -> String? {
            text[..<(text.lastIndex(of: "\n") ?? text.startIndex)].split(separator: "\n")
                .first { $0.hasPrefix(prefix) }.map(String.init)
        }
    }

    let state = Watched(State())
}
