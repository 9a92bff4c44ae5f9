import Foundation
import Glibc

/// Runs `rabbitmqctl` (on the shared node, or a scratch node with `-n`) and the scratch-node script.
enum Rabbitmqctl {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs a command on its own thread; returns stdout. Throws if it exits non-zero.
    ///
    /// Output goes to temporary files, not pipes, and the exit is awaited with `waitpid`: a command
    /// that leaves a daemon behind (`rabbitmq-server -detached`) must not keep the caller waiting.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        try await onThread {
            let base = NSTemporaryDirectory() + uniqueName("evtest-cmd")
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
            // Every other descriptor of the test runner stays out of the child, and out of the
            // daemon it may leave behind (Foundation's `Process` does the same for its children).
            let closed = spawnFileActionsAddCloseFrom(&actions, 3)
            guard closed == 0 else { throw Failure(description: "posix_spawn_file_actions_addclosefrom_np: \(closed)") }
            let argv = (["/usr/bin/env", executable] + arguments).map { strdup($0) } + [nil]
            let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { (argv + envp).forEach { free($0) } }
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, envp)
            guard spawned == 0 else { throw Failure(description: "cannot run \(executable): errno \(spawned)") }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let text = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
            let errors = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
            let exitCode = (status >> 8) & 0xFF
            guard status & 0x7F == 0, exitCode == 0 else {
                throw Failure(description: "\(executable) \(arguments.prefix(3).joined(separator: " ")) exited \(exitCode) (status \(status)): \(errors) \(text)")
            }
            return text
        }
    }

    /// `rabbitmqctl [-n node] ARGS`.
    @discardableResult
    static func ctl(node: String? = nil, _ arguments: String...) async throws -> String {
        try await run("rabbitmqctl", (node.map { ["-n", $0] } ?? []) + ["-q"] + arguments)
    }

    /// The pids of the broker connections whose `connection_name` client property is `name`.
    static func connections(named name: String, node: String? = nil) async throws -> [String] {
        let text = try await ctl(node: node, "list_connections", "pid", "client_properties")
        return text.split(separator: "\n").filter { $0.contains("\"\(name)\"") }.map { String($0.split(separator: "\t")[0]) }
    }

    /// Closes the connections named `name` (only those: other tests share the node).
    static func closeConnections(named name: String, node: String? = nil) async throws -> Int {
        let pids = try await connections(named: name, node: node)
        for pid in pids {
            _ = try? await ctl(node: node, "close_connection", pid, "evtest forced close")
        }
        return pids.count
    }

    /// Inside the broker, closes the connection named `name` `times` times, each time waiting for the
    /// client to open a new one (one `rabbitmqctl eval` instead of 400 CLI start-ups).
    /// Uses `rabbit_networking:close_connection/2`, what `rabbitmqctl close_connection` calls.
    static func closeRepeatedly(named name: String, times: Int, node: String?, pauseMs: Int = 20) async throws -> Int {
        let script = """
            Name = <<"\(name)">>, Deadline = erlang:monotonic_time(millisecond) + 240000,
            Mine = fun() -> [proplists:get_value(pid, I) || I <- rabbit_networking:connection_info_all([pid, client_properties]),
                             is_list(proplists:get_value(client_properties, I)),
                             lists:keyfind(<<"connection_name">>, 1, proplists:get_value(client_properties, I)) =:= {<<"connection_name">>, longstr, Name}] end,
            Loop = fun(_, 0, _, Closed) -> Closed;
                      (Self, N, Done, Closed) ->
                          case erlang:monotonic_time(millisecond) > Deadline of
                              true -> Closed;
                              false ->
                                  case [P || P <- Mine(), not lists:member(P, Done)] of
                                      [] -> timer:sleep(2), Self(Self, N, Done, Closed);
                                      Pids -> timer:sleep(\(pauseMs)),
                                              [rabbit_networking:close_connection(P, "evtest forced close") || P <- Pids],
                                              Self(Self, N - 1, Pids ++ Done, Closed + 1)
                                  end
                          end
                   end,
            Loop(Loop, \(times), [], 0).
            """
        let oneLine = script.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        let output = try await ctl(node: node, "eval", oneLine)
        guard let closed = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failure(description: "eval printed \(output)")
        }
        return closed
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which the Glibc module does not
/// import (`<spawn.h>` declares it only under `_GNU_SOURCE`).
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnFileActionsAddCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
