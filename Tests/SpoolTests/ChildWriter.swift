import Foundation

@testable import Spool

/// Starts this test binary on one test, with descriptor 3 a pipe back to us, and SIGKILLs it once
/// it has written a given number of lines there.
enum ChildWriter {
    static let streams = ["even", "odd"]

    /// The record the writer appends as `seq`.
    static func record(_ seq: Int64) -> SpoolRecord {
        makeRecord(streams[Int(seq % 2)], seq, bodyBytes: Int(seq % 7) * 700 + 100)
    }

    /// Runs the child writer on `directory` and kills it after `afterLines` lines; returns every
    /// line it wrote (those written before the kill are all in the pipe). Blocking.
    static func runUntilKilled(directory: String, test: String, variable: String, afterLines: Int) throws -> [String] {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw SpoolError(.io, "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 3)
        posix_spawn_file_actions_addclose(&actions, ends[0])
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let executable = CommandLine.arguments[0]
        let arguments = [executable, "--testing-library", "swift-testing", "--filter", test]
        var environment = ProcessInfo.processInfo.environment
        environment[variable] = directory
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(ends[1])
        defer { close(ends[0]) }
        guard status == 0 else { throw SpoolError(.io, "posix_spawn failed: \(status)") }
        var text: [UInt8] = []
        var newlines = 0
        var killed = false
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(ends[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            text += buffer[..<count]
            newlines += buffer[..<count].filter { $0 == UInt8(ascii: "\n") }.count
            if !killed && newlines >= afterLines {
                kill(pid, SIGKILL)
                killed = true
            }
        }
        var exit: Int32 = 0
        while waitpid(pid, &exit, 0) == -1 && errno == EINTR {}
        return String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
