import DedicatedThread
import Foundation
import Glibc

/// Runs a command to completion with `posix_spawn`, on a thread of its own (never the cooperative
/// pool), its output in temporary files, not pipes, and its exit awaited with `waitpid`: a command
/// that leaves a daemon behind (`rabbitmq-server -detached`) must not keep the caller waiting.
public enum Command {
    /// How a command ended and what it wrote.
    public struct Outcome: Sendable {
        /// The exit code, or 128 + the signal's number for a command a signal ended.
        public var code: Int32
        /// Its stdout (with `mergeErrors`, stdout and stderr together).
        public var output: String
        /// Its stderr (empty with `mergeErrors`).
        public var errors: String
    }

    /// Runs `executable` (a path, or a name looked up on `PATH`) with this process's environment
    /// plus `environment`; returns its stdout.
    /// - Throws: ``CommandFailure`` when it cannot start or exits with a status other than 0 (with its output).
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> String {
        let outcome = try await outcome(executable, arguments, environment: environment)
        guard outcome.code == 0 else {
            throw CommandFailure(
                description: "\(executable) \(arguments.prefix(4).joined(separator: " ")) exited \(outcome.code): \(outcome.errors) \(outcome.output)")
        }
        return outcome.output
    }

    /// Runs `executable` to its end whatever its exit code; returns the code and what it wrote.
    /// - Parameter mergeErrors: stderr goes where stdout goes, interleaved as written.
    /// - Throws: ``CommandFailure`` when it cannot start.
    public static func outcome(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], mergeErrors: Bool = false
    ) async throws -> Outcome {
        try await DedicatedThread.run(name: "evtest command") {
            try runBlocking(executable, arguments, environment: environment, mergeErrors: mergeErrors)
        }
    }

    private static func runBlocking(
        _ executable: String, _ arguments: [String], environment: [String: String], mergeErrors: Bool
    ) throws -> Outcome {
        let base = NSTemporaryDirectory() + "evtest-cmd-" + UUID().uuidString
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if mergeErrors {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        closeInheritedDescriptors(&actions)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        // No signal blocked in the child. This thread was started from a libdispatch worker and
        // inherited its mask, which blocks almost every signal; a child that inherited it in turn
        // ignored SIGTERM (a TLS test's `openssl s_server` outlived every run).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        // `posix_spawnp`: a name without a slash is looked up on PATH, a path is used as it is.
        let spawned = posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw CommandFailure(description: "cannot run \(executable): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let errors = mergeErrors ? "" : (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + status & 0x7F
        return Outcome(code: code, output: output, errors: errors)
    }
}

/// A helper of the test support that could not do its work.
public struct CommandFailure: Error, CustomStringConvertible {
    public var description: String

    /// A failure that says `description`.
    public init(description: String) { self.description = description }
}

/// Makes a `posix_spawn` close every descriptor from 3 up in the child (Foundation's `Process`
/// does the same for its children).
///
/// The test runner holds pipes without `O_CLOEXEC` (Foundation's `Pipe`): a child spawned while
/// another test's subprocess was starting inherited the write end of that subprocess's stdout,
/// and kept it open for its whole life, so the other test never saw end of file (a daemon left
/// behind, such as a RabbitMQ node, keeps it open for good).
public func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    let rc = spawnFileActionsAddCloseFrom(&actions, 3)
    precondition(rc == 0, "posix_spawn_file_actions_addclosefrom_np: \(rc)")
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which the Glibc module does not
/// import (`<spawn.h>` declares it only under `_GNU_SOURCE`).
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnFileActionsAddCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
