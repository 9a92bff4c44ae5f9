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

/// Yields until `condition` holds, for state that no event announces (a child row's state; a
/// supervisor's own state is awaited with `waitForState(where:)`). The test's time limit bounds
/// the wait.
func until(_ condition: () -> Bool) async {
    while !condition() { await Task.yield() }
}

extension SupervisorSnapshot {
    /// The child with this id.
    subscript(child id: String) -> SupervisorSnapshot? {
        children.first { $0.id == id }
    }
}

/// A log handler that streams every record, so a test can wait for a log line instead of sleeping.
struct StreamLogHandler: LogHandler {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    let continuation: AsyncStream<Record>.Continuation
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    /// A logger and the stream of what it logs.
    static func make() -> (Logger, AsyncStream<Record>) {
        let (stream, continuation) = AsyncStream<Record>.makeStream()
        return (Logger(label: "test", factory: { _ in StreamLogHandler(continuation: continuation) }), stream)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        all.merge(event.metadata ?? [:]) { $1 }
        continuation.yield(Record(level: event.level, message: "\(event.message)", metadata: all.mapValues { "\($0)" }))
    }
}
