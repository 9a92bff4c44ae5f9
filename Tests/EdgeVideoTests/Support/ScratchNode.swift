import Foundation
import Glibc

/// A RabbitMQ node of the test's own (`scripts/rabbitmq-scratch-node.sh`), for faults that harm
/// the broker (kill, freeze, stop_app, alarms, limits): the shared node on 5672 is never touched.
final class ScratchNode: Sendable {
    let node: String
    let port: Int
    let distPort: Int
    let directory: String

    /// Starts a fresh node; returns once it accepts AMQP. `config` lines go to its rabbitmq.conf.
    init(_ name: String, config: [String] = []) async throws {
        let id = "evtest-\(name)-\(UUID().uuidString.prefix(6).lowercased())"
        node = "\(id)@localhost"
        port = try freePort()
        distPort = try freePort()
        directory = NSTemporaryDirectory() + id
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !config.isEmpty {
            try (config.joined(separator: "\n") + "\n").write(toFile: directory + "/rabbitmq.conf", atomically: true, encoding: .utf8)
        }
        try await start()
    }

    /// Starts (or restarts, after a kill) the node on its data; returns once it accepts AMQP.
    func start() async throws {
        try await Command.run(RepositoryFiles.path("scripts/rabbitmq-scratch-node.sh"), ["start", node, "\(port)", "\(distPort)", directory])
    }

    /// Joins `primary`'s cluster (stop_app, join_cluster, start_app); returns once it accepts AMQP.
    func join(_ primary: ScratchNode) async throws {
        try await ctl("stop_app")
        try await ctl("join_cluster", primary.node)
        try await ctl("start_app")
        _ = try await waitUntilAccepting()
    }

    /// `rabbitmqctl -n node ARGS`.
    @discardableResult
    func ctl(_ arguments: String...) async throws -> String {
        try await Command.run("/usr/sbin/rabbitmqctl", ["-n", node, "-q"] + arguments)
    }

    /// The Erlang VM's pid.
    func pid() throws -> Int32 {
        let text = try String(contentsOfFile: directory + "/pid", encoding: .utf8)
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestProcess.Failure(description: "no pid in \(directory)/pid: \(text)")
        }
        return pid
    }

    /// Sends `signal` to the VM (SIGSTOP freezes it as a hung broker; SIGKILL crashes it).
    func signal(_ signal: Int32) throws {
        let pid = try pid()
        guard kill(pid, signal) == 0 else { throw TestProcess.Failure(description: "kill(\(pid), \(signal)): errno \(errno)") }
    }

    /// SIGKILL, then waits until the VM is gone and its port is closed.
    func crash() async throws {
        let pid = try pid()
        try signal(SIGKILL)
        _ = try await eventually(within: .seconds(30), "node \(node) gone", poll: .milliseconds(20)) {
            kill(pid, 0) != 0 && !Self.accepts(port: port) ? true : nil
        }
    }

    /// Waits until the port accepts TCP connections; returns that instant (polling every 5 ms).
    func waitUntilAccepting(within timeout: Duration = .seconds(120)) async throws -> Date {
        try await eventually(within: timeout, "node \(node) accepting on \(port)", poll: .milliseconds(5)) {
            Self.accepts(port: port) ? Date() : nil
        }
    }

    /// Runs `body` with a fresh node and stops the node afterwards, whatever happens.
    static func with(_ name: String, config: [String] = [], _ body: (ScratchNode) async throws -> Void) async throws {
        let node = try await ScratchNode(name, config: config)
        do {
            try await body(node)
        } catch {
            await node.stop()
            throw error
        }
        await node.stop()
    }

    /// Stops the node and removes its directory (also after a kill or a freeze).
    func stop() async {
        try? signal(SIGCONT)
        let pid = try? pid()
        _ = try? await Command.run(RepositoryFiles.path("scripts/rabbitmq-scratch-node.sh"), ["stop", node, directory])
        if let pid, kill(pid, 0) == 0 { kill(pid, SIGKILL) }  // a stop that failed: the VM still runs
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Whether 127.0.0.1:`port` accepts a TCP connection now.
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// A TCP port nobody listens on right now.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
        }
    }
    guard bound else { throw TestProcess.Failure(description: "no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Runs a command to completion on a thread of its own (never the cooperative pool), its output
/// in temporary files: a command that leaves a daemon behind must not keep the caller waiting.
enum Command {
    /// Runs `executable` with this process's environment plus `environment`; returns its stdout.
    /// - Throws: when it cannot start or exits with a status other than 0 (with its output).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> String {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
            let thread = Thread {
                continuation.resume(with: Result { try runBlocking(executable, arguments, environment: environment) })
            }
            thread.start()
        }
    }

    private static func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> String {
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
        posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        closeInheritedDescriptors(&actions)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw TestProcess.Failure(description: "cannot run \(executable): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw TestProcess.Failure(description: "\(executable) \(arguments.prefix(4).joined(separator: " ")) failed (status \(status)): \(errors) \(text)")
        }
        return text
    }
}

/// Makes a `posix_spawn` close every descriptor from 3 up in the child (Foundation's `Process`
/// does the same for its children).
///
/// The test runner holds pipes without `O_CLOEXEC` (Foundation's `Pipe`): a child spawned while
/// another test's subprocess was starting inherited the write end of that subprocess's stdout,
/// and kept it open for its whole life, so the other test never saw end of file (a daemon left
/// behind, such as a RabbitMQ node, keeps it open for good).
func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    let rc = spawnFileActionsAddCloseFrom(&actions, 3)
    precondition(rc == 0, "posix_spawn_file_actions_addclosefrom_np: \(rc)")
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which the Glibc module does not
/// import (`<spawn.h>` declares it only under `_GNU_SOURCE`).
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnFileActionsAddCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
