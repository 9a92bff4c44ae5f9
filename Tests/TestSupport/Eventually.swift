/// Polls `condition` until it yields a value, and returns that value; throws ``EventuallyTimeout``
/// once `timeout` has passed without one.
///
/// Only for the states of other processes and threads, which announce nothing to the test: a real
/// broker, a child process, a port, a file, `/proc`. Never a stand-in for synchronisation on
/// in-process events: what the test's own process does is awaited through the event that
/// announces it (docs/testing.md, "Tests wait on events, never on time").
///
/// `condition` is asked at once, then after each `poll` (the last pause ends at the deadline). An
/// error it throws does not end the wait (the state may not be readable yet): the next poll asks
/// again, and the timeout's description names the last such error. Cancelling the task ends the
/// wait with `CancellationError`.
///
/// - Parameters:
///   - timeout: how long to poll.
///   - what: what is waited for ("node rabbit@x accepting on 5673"), for the failure; evaluated
///     only at the timeout.
///   - poll: the pause between two asks.
///   - condition: the value once the state holds, `nil` until then.
/// - Throws: ``EventuallyTimeout`` at the deadline, `CancellationError` when the task is cancelled.
public func eventually<T>(
    within timeout: Duration, _ what: @autoclosure () -> String, poll: Duration = .milliseconds(100),
    _ condition: () async throws -> T?
) async throws -> T {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var lastError: (any Error)?
    while true {
        try Task.checkCancellation()
        do {
            if let value = try await condition() { return value }
        } catch {
            lastError = error
        }
        let left = clock.now.duration(to: deadline)
        guard left > .zero else { break }
        try await Task.sleep(for: min(poll, left))
    }
    throw EventuallyTimeout(what: what(), timeout: timeout, lastError: lastError)
}

/// Polls `condition` until it holds; throws ``EventuallyTimeout`` once `timeout` has passed
/// without it. The same wait as the value-returning `eventually`, with the same restriction: only
/// for the states of other processes and threads, never for in-process events.
///
/// A closure returning `Bool` resolves to this overload (the generic one would need `Bool?`),
/// so `false` keeps polling rather than counting as a value.
public func eventually(
    within timeout: Duration, _ what: @autoclosure () -> String, poll: Duration = .milliseconds(100),
    _ condition: () async throws -> Bool
) async throws {
    try await eventually(within: timeout, what(), poll: poll) { () async throws -> Void? in
        try await condition() ? () : nil
    }
}

/// The state `eventually` waited for did not come within its timeout.
public struct EventuallyTimeout: Error, CustomStringConvertible {
    /// What was waited for.
    public var what: String
    /// How long it was waited for.
    public var timeout: Duration
    /// The last error the condition threw, if it threw any.
    public var lastError: (any Error)?

    public var description: String {
        "\(what) did not happen within \(timeout)" + (lastError.map { " (last error: \($0))" } ?? "")
    }
}
