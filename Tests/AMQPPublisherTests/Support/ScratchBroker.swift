import Foundation
import Glibc

/// A RabbitMQ node of the test's own (`scripts/rabbitmq-scratch-node.sh`), for tests that raise
/// alarms or stop the app: the shared node on 5672 is never disturbed.
struct ScratchBroker: Sendable {
    let node: String
    let port: Int
    let distPort: Int
    let directory: String

    var url: String { "amqp://guest:guest@127.0.0.1:\(port)/%2f" }

    /// Starts a node and returns once it accepts AMQP connections.
    /// - Parameter prepare: called with the node's directory before it starts, to write files
    ///   there (its `rabbitmq.conf`, certificates).
    static func start(prepare: (String) throws -> Void = { _ in }) async throws -> ScratchBroker {
        let id = uniqueName("evtest")
        let port = try freePort(), dist = try freePort()
        let broker = ScratchBroker(node: "\(id)@localhost", port: port, distPort: dist, directory: NSTemporaryDirectory() + id)
        try FileManager.default.createDirectory(atPath: broker.directory, withIntermediateDirectories: true)
        try prepare(broker.directory)
        try await broker.startAgain()
        return broker
    }

    /// Starts the node (again, after a SIGKILL: same name, ports and data); returns once it accepts
    /// AMQP connections.
    func startAgain() async throws {
        try await Rabbitmqctl.run(Self.scriptPath, ["start", node, "\(port)", "\(distPort)", directory])
    }

    /// Sends a signal to the node's Erlang VM (SIGSTOP stalls it as a hung broker would; SIGCONT resumes).
    func signal(_ signal: Int32) throws {
        let text = try String(contentsOfFile: directory + "/pid", encoding: .utf8)
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, signal) == 0 else {
            throw Rabbitmqctl.Failure(description: "cannot signal the node (pid file: \(text))")
        }
    }

    /// What a failed test wants to know about the node: its queues and bindings, and the error
    /// reports and crashes in its log.
    func diagnostics() async -> String {
        let queues = (try? await Rabbitmqctl.ctl(node: node, "list_queues", "name", "messages", "state")) ?? "(list_queues failed)"
        let bindings = (try? await Rabbitmqctl.ctl(node: node, "list_bindings")) ?? "(list_bindings failed)"
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/log")) ?? []
        let problems = logs.filter { $0.hasSuffix(".log") }.flatMap { name in
            ((try? String(contentsOfFile: directory + "/log/" + name, encoding: .utf8)) ?? "")
                .split(separator: "\n").filter { $0.contains("[error]") || $0.contains("crash") }.suffix(20)
        }
        return "queues:\n\(queues)\nbindings:\n\(bindings)\nlog errors:\n\(problems.joined(separator: "\n"))"
    }

    /// Stops the node and removes its directory.
    func stop() async {
        _ = try? await Rabbitmqctl.run(Self.scriptPath, ["stop", node, directory])
    }

    /// Runs `body` with a fresh node, stopping it afterwards whatever happens.
    static func with<T: Sendable>(
        prepare: (String) throws -> Void = { _ in }, _ body: (ScratchBroker) async throws -> T
    ) async throws -> T {
        let broker = try await start(prepare: prepare)
        do {
            let result = try await body(broker)
            await broker.stop()
            return result
        } catch {
            await broker.stop()
            throw error
        }
    }

    private static var scriptPath: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("scripts/rabbitmq-scratch-node.sh").path
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
    guard bound else { throw Rabbitmqctl.Failure(description: "no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
