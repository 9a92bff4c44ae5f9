import Locking
import Synchronization

/// A measured count of live tasks: incremented when a task starts, decremented when it has returned.
///
/// Thread-safety: all methods may be called from any thread or task.
public final class LiveTaskCounter: Sendable {
    private let count = Atomic<Int>(0)

    /// Creates a counter at zero.
    public init() {}

    /// The tasks currently counted.
    public var value: Int {
        count.load(ordering: .acquiring)
    }

    /// Counts one more live task.
    public func increment() {
        count.add(1, ordering: .releasing)
    }

    /// Counts one task fewer.
    public func decrement() {
        count.subtract(1, ordering: .releasing)
    }

    /// Runs `body`, counted as one live task from before it starts until after it has returned.
    public func track<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        increment()
        defer { decrement() }
        return try await body()
    }
}
