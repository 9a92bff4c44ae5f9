import Durations
import Locking

#if canImport(Glibc)
import Glibc
#endif

extension Spool {
    /// Forces the appended data, the acknowledgements and new or removed file names to disk now
    /// (a graceful stop calls it; the sync thread does the same at its cadence), and writes the
    /// index file of each sealed segment once its data is synced.
    /// - Throws: ``SpoolError`` for the first failed `fdatasync` or acknowledgement write; what
    ///   failed stays pending for the next sync. (A failed index write only costs a scan at the
    ///   next open, and is retried.)
    package func sync() throws(SpoolError) {
        flushing.lock()
        defer { flushing.unlock() }
        let (files, lists, directories) = state.withLock { state in
            var files: [(UInt64, SegmentFile)] = []
            var lists: [PendingList] = []
            for number in Array(state.segments.keys) {
                let segment = state.segments[number]!
                // A segment still open for appends whose records are all settled, and that took no
                // append since the last turn, is closed and removed: after an outage drains, the
                // spool holds no file and no descriptor until the next one. (While frames keep
                // coming, as in `always` mode, it stays open: no file is made per frame.)
                if segment.writable, segment.live == 0, !segment.dataDirty {
                    removeSegment(&state, number)
                    continue
                }
                let name = state.streams[Int(segment.stream)].name
                if segment.dataDirty, let file = segment.file { files.append((number, file)) }
                if segment.acksDirty {
                    lists.append(PendingList(number: number, path: directory.ackPath(name, number), values: segment.settledOffsets, kind: .acknowledgements))
                    state.setAcksDirty(number, false)
                }
                if !segment.writable, !segment.indexed, segment.file != nil {
                    lists.append(PendingList(number: number, path: directory.indexPath(name, number), values: segment.indexValues, kind: .index))
                }
                if segment.dataDirty { state.setDataDirty(number, false) }
            }
            defer { state.unsyncedDirectories = [] }
            return (files, lists, state.unsyncedDirectories)
        }
        var failure: SpoolError?
        var unsynced: Set<UInt64> = []
        for (number, file) in files {
            do throws(SpoolError) { try file.sync() } catch {
                failure = failure ?? error
                unsynced.insert(number)
                state.withLock { $0.setDataDirty(number, true) }
            }
        }
        // Acknowledgements first; an index only for a segment whose data is on disk.
        for list in lists where !(list.kind == .index && unsynced.contains(list.number)) {
            do throws(SpoolError) {
                try list.kind.write(list.values, to: list.path)
                if list.kind == .index { state.withLock { $0.setIndexed(list.number) } }
            } catch {
                if list.kind == .acknowledgements {
                    failure = failure ?? error
                    state.withLock { $0.setAcksDirty(list.number, true) }
                }
            }
            // A segment removed meanwhile must not leave this file behind (its removal, under the
            // lock, unlinks the file only if it was already there).
            state.withLock { state in if state.segments[list.number] == nil { unlink(list.path) } }
        }
        for path in directories {
            do throws(SpoolError) { try SpoolDirectory.sync(path) } catch {
                failure = failure ?? error
                state.withLock { _ = $0.unsyncedDirectories.insert(path) }
            }
        }
        if let failure { throw failure }
    }

    /// The sync thread: syncs at every interval (or, with an interval of zero, whenever an
    /// acknowledgement asks), until stopped.
    func syncLoop() {
        while signal.waitForTurn(interval: configuration.syncInterval) {
            // Failures stay pending and are retried at the next turn; `sync()` reports them.
            try? sync()
        }
    }
}

/// A list file (acknowledgements or index) to write for segment `number`.
private struct PendingList {
    var number: UInt64
    var path: String
    var values: [UInt32]
    var kind: ListFile
}

/// Wakes the sync thread: when a sync is asked for, or for good.
///
/// `@unchecked Sendable`: a small box whose two flags are only touched with `condition` locked.
final class SyncSignal: @unchecked Sendable {
    private let condition = Condition()
    private var requested = false
    private var stopping = false

    /// Asks for a sync now.
    func request() {
        condition.lock()
        requested = true
        condition.signal()
        condition.unlock()
    }

    /// Makes ``waitForTurn(interval:)`` return false, now and from now on.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// Sleeps until `interval` has passed (with `.zero`: until a sync is asked for), or until
    /// stopped. Returns false when stopped.
    func waitForTurn(interval: Duration) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = monotonicNanos() + interval.nanoseconds
        while !stopping, !requested {
            if interval == .zero {
                condition.wait()
            } else {
                let left = deadline - monotonicNanos()
                if left <= 0 { break }
                condition.wait(timeout: .nanoseconds(left))
            }
        }
        requested = false
        return !stopping
    }
}
