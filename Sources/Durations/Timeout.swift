/// Runs `body` for at most `limit`: its result if it returns first; `nil` once `limit` has passed
/// or the calling task is cancelled, and then `body` has been cancelled and awaited.
///
/// The one race of a body against a sleep: every "wait at most" in the package is this.
public func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask { await body() }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
