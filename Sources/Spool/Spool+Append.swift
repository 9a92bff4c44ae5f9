#if canImport(Glibc)
import Glibc
#endif

extension Spool {
    /// Appends one record to its stream's newest segment, on the calling thread (a blocking write).
    ///
    /// When the budget would be exceeded, the oldest segments (of any stream; the one being written
    /// only when it is the last one left) are deleted first and their unread records reported
    /// through `onDiscard` as ``SpoolDiscard/full``.
    /// - Parameters:
    ///   - record: The record; its stream must be a valid name.
    ///   - unread: `true`: ``next(stream:)`` will deliver it. `false`: the caller keeps a copy in
    ///     memory and delivers it itself, until it calls ``markUnread(_:)``.
    /// - Returns: The record's id.
    /// - Throws: ``SpoolError``: `.noSpace` when the file system is full (the partial write is cut
    ///   away; the spool stays usable), `.unavailable` when the directory is gone or read-only (or
    ///   the spool has closed), `.invalidRecord` for a bad stream name or a record larger than the
    ///   budget, `.io` for other write failures.
    @discardableResult
    package func append(_ record: SpoolRecord, unread: Bool) throws -> SpoolRecordID {
        guard SpoolConfiguration.isValidStreamName(record.stream) else {
            throw SpoolError(.invalidRecord, "invalid stream name \(record.stream.debugDescription)")
        }
        let length = RecordHeader.size + record.metadata.count + record.body.count
        guard record.metadata.count <= RecordHeader.maximumMetadata, record.body.count <= RecordHeader.maximumBody,
            length <= configuration.maxBytes
        else {
            throw SpoolError(.invalidRecord, "record of \(length) bytes does not fit the budget of \(configuration.maxBytes)")
        }
        var bytes = RecordHeader(of: record).encoded()
        bytes.reserveCapacity(length)
        bytes += record.metadata
        bytes += record.body
        var discards: [Discard] = []
        defer { report(discards) }
        return try state.withLock { (state) throws(SpoolError) -> SpoolRecordID in
            guard state.isOpen else { throw SpoolError(.unavailable, "spool \(directory.path) is closed") }
            let stream = state.stream(named: record.stream)
            let number = try writableSegment(&state, stream: stream, length: length, discards: &discards)
            let segment = state.segments[number]!
            let file = segment.file!
            do throws(SpoolError) {
                guard try file.status().linked else {
                    // Its records stay readable through the descriptor; appends need a new file.
                    state.seal(number)
                    throw SpoolError(.unavailable, "\(file.path) vanished (its directory was removed)")
                }
                try file.write(bytes, at: segment.size)
                if configuration.syncInterval == .zero { try file.sync() }
            } catch {
                try? file.truncate(to: segment.size)
                if segment.count == 0 { removeSegment(&state, number) }
                throw error
            }
            let id = state.appended(to: number, length: length, unread: unread)
            if configuration.syncInterval == .zero { state.setDataDirty(number, false) }
            return id
        }
    }

    /// The segment the next `length` bytes of `stream` go to: the stream's open segment, or a
    /// new one when it is full or missing; evicts the oldest segments first if the budget needs it.
    private func writableSegment(
        _ state: inout SpoolState, stream: UInt32, length: Int, discards: inout [Discard]
    ) throws(SpoolError) -> UInt64 {
        var active = state.streams[Int(stream)].active
        if let number = active, let segment = state.segments[number], segment.size > 0,
            segment.size + length > configuration.segmentBytes
        {
            state.seal(number)
            removeIfSettled(&state, number)
            active = nil
        }
        discards += evict(&state, toFit: length, keeping: active)
        if let active, state.segments[active] != nil { return active }
        let name = state.streams[Int(stream)].name
        let path = directory.streamPath(name)
        if mkdir(path, 0o750) == -1, errno != EEXIST { throw SpoolError.system("mkdir", path, errno: errno) }
        let number = state.nextSegment
        let file = try SegmentFile(path: directory.segmentPath(name, number), create: true)
        state.add(SegmentIndex(number: number, stream: stream, file: file, size: 0, writable: true))
        state.unsyncedDirectories.insert(path)
        if configuration.syncInterval == .zero { try SpoolDirectory.sync(path) }
        return number
    }

    /// Deletes the oldest segments until `length` more bytes fit the budget; `kept` (the segment
    /// being written) goes only when it is the last one. Returns what was lost, for `onDiscard`.
    func evict(_ state: inout SpoolState, toFit length: Int, keeping kept: UInt64?) -> [Discard] {
        var discards: [Discard] = []
        while state.bytes + length > configuration.maxBytes, let victim = state.oldestSegment(except: kept) ?? kept {
            guard let segment = removeSegment(&state, victim) else { break }
            discards.append(state.discard(.full, stream: segment.stream, count: segment.unread))
        }
        return discards
    }

    /// Deletes segment `number` if every record in it is settled and nothing is appended to it.
    func removeIfSettled(_ state: inout SpoolState, _ number: UInt64) {
        guard let segment = state.segments[number], segment.live == 0, !segment.writable else { return }
        removeSegment(&state, number)
    }

    /// Forgets segment `number` and unlinks its files; returns it.
    @discardableResult
    func removeSegment(_ state: inout SpoolState, _ number: UInt64) -> SegmentIndex? {
        guard let segment = state.remove(number) else { return nil }
        let name = state.streams[Int(segment.stream)].name
        unlink(directory.segmentPath(name, number))
        unlink(directory.ackPath(name, number))
        unlink(directory.indexPath(name, number))
        state.unsyncedDirectories.insert(directory.streamPath(name))
        return segment
    }
}
