import Foundation
import Glibc

/// A RabbitMQ node of the test's own (`scripts/rabbitmq-scratch-node.sh`), for faults that harm
/// the broker (kill, freeze, stop_app, alarms, limits): the shared node on 5672 is never touched.
public final class ScratchNode: Sendable {
    /// The Erlang node name, `evtest-NAME-XXXXXX@localhost`.
    public let node: String
    /// Its AMQP port on 127.0.0.1.
    public let port: Int
    /// Its Erlang distribution port.
    public let distPort: Int
    /// Its mnesia, logs, pid file and configuration.
    public let directory: String

    /// Its AMQP URL, as guest on the default vhost.
    public var url: String { "amqp://guest:guest@127.0.0.1:\(port)/%2f" }

    /// Starts a fresh node; returns once it accepts AMQP.
    /// - Parameters:
    ///   - config: lines for its `rabbitmq.conf`.
    ///   - prepare: called with the node's directory before it starts, to write files there
    ///     (its `rabbitmq.conf`, certificates).
    public init(_ name: String, config: [String] = [], prepare: (String) throws -> Void = { _ in }) async throws {
        let id = "evtest-\(name)-\(UUID().uuidString.prefix(6).lowercased())"
        node = "\(id)@localhost"
        port = try freePort()
        distPort = try freePort()
        directory = NSTemporaryDirectory() + id
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !config.isEmpty {
            try (config.joined(separator: "\n") + "\n").write(toFile: directory + "/rabbitmq.conf", atomically: true, encoding: .utf8)
        }
        try prepare(directory)
        try await startAgain()
    }

    /// Runs `body` with a fresh node and stops the node afterwards, whatever happens.
    public static func with<T: Sendable>(
        _ name: String, config: [String] = [], prepare: (String) throws -> Void = { _ in },
        _ body: (ScratchNode) async throws -> T
    ) async throws -> T {
        let node = try await ScratchNode(name, config: config, prepare: prepare)
        do {
            let result = try await body(node)
            await node.stop()
            return result
        } catch {
            await node.stop()
            throw error
        }
    }

    /// Starts the node (again, after a SIGKILL or a stop: same name, ports and data); returns once
    /// it accepts AMQP.
    public func startAgain() async throws {
        try await Command.run(Self.script, ["start", node, "\(port)", "\(distPort)", directory])
    }

    /// `rabbitmqctl -n node -q ARGS`; returns its stdout.
    @discardableResult
    public func ctl(_ arguments: String...) async throws -> String {
        try await Rabbitmqctl.run(node: node, arguments)
    }

    /// The Erlang VM's pid, from the node's pid file.
    public func pid() throws -> Int32 {
        let text = try String(contentsOfFile: directory + "/pid", encoding: .utf8)
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CommandFailure(description: "no pid in \(directory)/pid: \(text)")
        }
        return pid
    }

    /// Sends `signal` to the VM (SIGSTOP freezes it as a hung broker; SIGCONT resumes; SIGKILL crashes it).
    public func signal(_ signal: Int32) throws {
        let pid = try pid()
        guard kill(pid, signal) == 0 else { throw CommandFailure(description: "kill(\(pid), \(signal)): errno \(errno)") }
    }

    /// What a failed test wants to know about the node: its queues and bindings, and the error
    /// reports and crashes in its log.
    public func diagnostics() async -> String {
        let queues = (try? await ctl("list_queues", "name", "messages", "state")) ?? "(list_queues failed)"
        let bindings = (try? await ctl("list_bindings")) ?? "(list_bindings failed)"
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/log")) ?? []
        let problems = logs.filter { $0.hasSuffix(".log") }.flatMap { name in
            ((try? String(contentsOfFile: directory + "/log/" + name, encoding: .utf8)) ?? "")
                .split(separator: "\n").filter { $0.contains("[error]") || $0.contains("crash") }.suffix(20)
        }
        return "queues:\n\(queues)\nbindings:\n\(bindings)\nlog errors:\n\(problems.joined(separator: "\n"))"
    }

    /// Stops the node and removes its directory (also after a kill or a freeze).
    public func stop() async {
        try? signal(SIGCONT)
        let pid = try? pid()
        _ = try? await Command.run(Self.script, ["stop", node, directory])
        if let pid, kill(pid, 0) == 0 { kill(pid, SIGKILL) }  // a stop that failed: the VM still runs
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static let script = RepositoryFiles.path("scripts/rabbitmq-scratch-node.sh")
}
