import Durations
import Locking

#if canImport(Glibc)
import Glibc
#endif

extension Spool {
    /// Forces the appended data, the acknowledgements and new or removed file names to disk now
    /// (a graceful stop calls it; the sync thread does the same at its cadence).
    /// - Throws: ``SpoolError`` for the first failed `fdatasync` or acknowledgement write; what
    ///   failed stays pending for the next sync.
    public func sync() throws(SpoolError) {
        flushing.lock()
        defer { flushing.unlock() }
        let (files, acks, directories) = state.withLock { state in
            var files: [(UInt64, SegmentFile)] = []
            var acks: [(UInt64, String, [UInt32])] = []
            for (number, segment) in state.segments {
                if segment.dataDirty, let file = segment.file { files.append((number, file)) }
                if segment.acksDirty {
                    acks.append((number, directory.ackPath(state.streams[Int(segment.stream)].name, number), segment.settledOffsets))
                }
                state.setDataDirty(number, false)
                state.setAcksDirty(number, false)
            }
            defer { state.unsyncedDirectories = [] }
            return (files, acks, state.unsyncedDirectories)
        }
        var failure: SpoolError?
        for (number, file) in files {
            do throws(SpoolError) { try file.sync() } catch {
                failure = failure ?? error
                state.withLock { $0.setDataDirty(number, true) }
            }
        }
        for (number, path, offsets) in acks {
            do throws(SpoolError) { try AckFile.write(offsets, to: path) } catch {
                failure = failure ?? error
                state.withLock { $0.setAcksDirty(number, true) }
            }
            // A segment removed meanwhile must not leave its acknowledgement file behind (its
            // removal, under the lock, unlinks the file only if it was already there).
            state.withLock { state in if state.segments[number] == nil { unlink(path) } }
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
