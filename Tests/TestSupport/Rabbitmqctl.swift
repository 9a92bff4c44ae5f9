/// Runs `rabbitmqctl` on the shared node, or on a scratch node with `-n`.
public enum Rabbitmqctl {
    /// `rabbitmqctl [-n node] -q ARGS`; returns its stdout.
    /// - Throws: ``CommandFailure`` when it exits with a status other than 0.
    @discardableResult
    public static func ctl(node: String? = nil, _ arguments: String...) async throws -> String {
        try await run(node: node, arguments)
    }

    /// `rabbitmqctl [-n node] -q ARGS`, the arguments as an array.
    @discardableResult
    public static func run(node: String?, _ arguments: [String]) async throws -> String {
        try await Command.run("rabbitmqctl", (node.map { ["-n", $0] } ?? []) + ["-q"] + arguments)
    }

    /// The pids of the broker connections whose `connection_name` client property is `name`.
    public static func connections(named name: String, node: String? = nil) async throws -> [String] {
        let text = try await ctl(node: node, "list_connections", "pid", "client_properties")
        return text.split(separator: "\n").filter { $0.contains("\"\(name)\"") }.map { String($0.split(separator: "\t")[0]) }
    }

    /// Closes the connections named `name` (only those: other tests share the node); returns how many.
    public static func closeConnections(named name: String, node: String? = nil) async throws -> Int {
        let pids = try await connections(named: name, node: node)
        for pid in pids {
            _ = try? await ctl(node: node, "close_connection", pid, "evtest forced close")
        }
        return pids.count
    }

    /// Inside the broker, closes the connection named `name` `times` times, each time waiting for the
    /// client to open a new one (one `rabbitmqctl eval` instead of 400 CLI start-ups); returns how
    /// many it closed. Uses `rabbit_networking:close_connection/2`, what `rabbitmqctl close_connection` calls.
    public static func closeRepeatedly(named name: String, times: Int, node: String?, pauseMs: Int = 20) async throws -> Int {
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
            throw CommandFailure(description: "eval printed \(output)")
        }
        return closed
    }
}
