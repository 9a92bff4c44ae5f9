import DedicatedThread
import Locking

/// A bounded, crash-safe store of encoded frames on disk: per stream, a log of CRC-framed records
/// in segment files, replayed in append order.
///
/// Records are appended by the producers' threads, read back with ``next(stream:)``, and
/// acknowledged once settled; acknowledgements reach the disk lazily at ``SpoolConfiguration/syncInterval``,
/// so after a crash a record may be delivered twice, never lost. The budget ``SpoolConfiguration/maxBytes``
/// holds at all times: the oldest segments are evicted first and their records reported as
/// ``SpoolDiscard/full``. Damage found at open or on read is skipped and reported as
/// ``SpoolDiscard/damaged``; it never makes the spool fail.
///
/// Get one only through ``withSpool(_:onDiscard:_:)``, whose scope encloses the spool's sync thread
/// and every descriptor it opens.
///
/// Thread-safety: every method may be called from any thread. The blocking ones (``append(_:unread:)``,
/// ``next(stream:)``, ``sync()``) do their file I/O on the calling thread: call them from
/// dedicated threads, not from Swift's cooperative pool.
package final class Spool: Sendable {
    let configuration: SpoolConfiguration
    let directory: SpoolDirectory
    let state: Locked<SpoolState>
    let onDiscard: @Sendable (_ stream: String, _ reason: SpoolDiscard, _ count: Int) -> Void
    /// Wakes the sync thread early, or for good.
    let signal = SyncSignal()
    /// Serialises flushes (the sync thread's and ``sync()``'s); held across their I/O, which the
    /// state's lock never is.
    let flushing = Condition()

    /// What the recovery scan found at open: unread (unacknowledged) records per stream.
    package let recovered: [String: Int]
    /// What the recovery scan skipped at open: damaged regions and files per stream (also reported
    /// through `onDiscard` as ``SpoolDiscard/damaged``).
    package let recoveredDamage: [String: Int]

    private init(
        _ configuration: SpoolConfiguration, _ recovery: SpoolRecovery,
        onDiscard: @escaping @Sendable (String, SpoolDiscard, Int) -> Void
    ) {
        self.configuration = configuration
        directory = SpoolDirectory(path: configuration.directory)
        state = Locked(recovery.state)
        recovered = recovery.recovered.filter { $0.value > 0 }
        recoveredDamage = recovery.damaged.filter { $0.value > 0 }
        self.onDiscard = onDiscard
    }

    /// Opens the spool (the recovery scan), runs `body` with it, then syncs, stops and joins the
    /// sync thread and closes every descriptor, whether `body` returned or threw.
    ///
    /// - Parameters:
    ///   - configuration: Where and how much.
    ///   - onDiscard: Called (on the thread that found out, never under the spool's lock) for
    ///     records that left the spool unacknowledged: the stream, why, and how many.
    ///   - body: Uses the spool; it must not keep it beyond its return.
    /// - Returns: What `body` returned.
    /// - Throws: What `body` threw; otherwise ``SpoolError`` when the directory cannot be created
    ///   or listed (`.unavailable`), the configuration is impossible (`.invalidConfiguration`), or
    ///   the final sync failed. Damage never throws.
    package static func withSpool<R: Sendable>(
        _ configuration: SpoolConfiguration,
        onDiscard: @escaping @Sendable (_ stream: String, _ reason: SpoolDiscard, _ count: Int) -> Void,
        _ body: (Spool) async throws -> R
    ) async throws -> R {
        guard configuration.maxBytes >= RecordHeader.size, configuration.syncInterval >= .zero else {
            throw SpoolError(.invalidConfiguration, "maxBytes \(configuration.maxBytes), syncInterval \(configuration.syncInterval)")
        }
        let spool = Spool(configuration, try SpoolRecovery(SpoolDirectory(path: configuration.directory)), onDiscard: onDiscard)
        for (stream, count) in spool.recoveredDamage.sorted(by: { $0.key < $1.key }) { onDiscard(stream, .damaged, count) }
        spool.report(spool.state.withLock { state in spool.evict(&state, toFit: 0, keeping: nil) })
        let thread = try DedicatedThread(name: "spool-sync") { spool.syncLoop() }
        let result: Result<R, any Error>
        do {
            result = .success(try await body(spool))
        } catch {
            result = .failure(error)
        }
        spool.signal.stop()
        await thread.join()
        let synced = Result { () throws(SpoolError) in try spool.sync() }
        spool.state.withLock { state in
            state.isOpen = false
            state.closeFiles()
        }
        let value = try result.get()
        try synced.get()
        return value
    }

    /// Whether `stream` has records that ``next(stream:)`` would deliver. Cheap: in memory.
    package func hasUnread(stream: String) -> Bool {
        state.withLock { state in state.existingStream(named: stream).map { state.streams[Int($0)].unread > 0 } ?? false }
    }

    /// The streams that have unread or unacknowledged records, sorted.
    package var streams: [String] {
        state.withLock { state in state.streams.filter { $0.live > 0 }.map(\.name) }.sorted()
    }

    /// How much the spool holds, and what it has discarded since it opened.
    package var usage: SpoolUsage {
        state.withLock { state in
            SpoolUsage(
                bytes: state.bytes, records: state.streams.reduce(0) { $0 + $1.live },
                unread: state.streams.reduce(0) { $0 + $1.unread }, segments: state.segments.count,
                discarded: state.discarded)
        }
    }

    /// Calls `onDiscard` for each report (outside the lock, so that it may call the spool).
    func report(_ discards: [Discard]) {
        for discard in discards where discard.count > 0 { onDiscard(discard.stream, discard.reason, discard.count) }
    }
}
