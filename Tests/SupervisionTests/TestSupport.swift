import Logging
import Supervision
import SupervisionTestKit

/// Reads a probe's events one at a time, in order.
struct EventReader {
    private var iterator: AsyncStream<Probe.Event>.Iterator

    init(_ probe: Probe) {
        iterator = probe.events.makeAsyncIterator()
    }

    /// The next `count` events, as `"id#incarnation kind"` strings.
    mutating func next(_ count: Int) async -> [String] {
        var out: [String] = []
        for _ in 0..<count {
            guard let event = await iterator.next() else { break }
            out.append(event.description)
        }
        return out
    }

    /// The next event.
    mutating func next() async -> Probe.Event? {
        await iterator.next()
    }
}

/// A logger that drops everything (tests assert on events, not on log lines).
let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs `supervisor` in a child task for the duration of `body`, then stops it and returns what
/// `run()` returned.
func withRunning<T: Sendable>(
    _ supervisor: Supervisor,
    _ body: () async throws -> T
) async throws -> (T, Result<Void, any Error>) {
    try await withThrowingTaskGroup(of: Result<Void, any Error>.self) { group in
        group.addTask {
            do {
                try await supervisor.run()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        let value = try await body()
        supervisor.stop()
        let result = try await group.next()!
        return (value, result)
    }
}

extension SupervisorSnapshot {
    /// The child with this id.
    subscript(child id: String) -> SupervisorSnapshot? {
        children.first { $0.id == id }
    }
}
