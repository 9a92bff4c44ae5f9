/// Everything the spool knows in memory: its streams, its segments and their records, the bytes
/// on disk and what it has discarded. One fact, one place: a stream's counts are derived from its
/// segments' counts by the methods here, which are the only ones that change either.
///
/// A value without I/O; ``Spool`` keeps it under its lock and does the file work around it.
struct SpoolState {
    /// One stream (one subdirectory).
    struct Stream {
        let name: String
        /// Its segments' numbers, oldest first.
        var segments: [UInt64] = []
        /// The segment appends go to, if one is open.
        var active: UInt64?
        var unread = 0
        /// Records not settled.
        var live = 0
    }

    private(set) var streams: [Stream] = []
    private var streamIndex: [String: UInt32] = [:]
    private(set) var segments: [UInt64: SegmentIndex] = [:]
    /// The number the next segment gets; above every number ever seen in the directory.
    var nextSegment: UInt64 = 1
    /// Bytes of every segment file.
    private(set) var bytes = 0
    var discarded: [SpoolDiscard: Int] = [:]
    var isOpen = true
    /// Stream directories that gained or lost names since their last `fsync`.
    var unsyncedDirectories: Set<String> = []

    /// The index of the stream `name`, added if new.
    mutating func stream(named name: String) -> UInt32 {
        if let index = streamIndex[name] { return index }
        let index = UInt32(streams.count)
        streams.append(Stream(name: name))
        streamIndex[name] = index
        return index
    }

    /// The index of the stream `name`, if known.
    func existingStream(named name: String) -> UInt32? { streamIndex[name] }

    /// Adds a segment (newer than every segment of its stream).
    mutating func add(_ segment: SegmentIndex) {
        segments[segment.number] = segment
        streams[Int(segment.stream)].segments.append(segment.number)
        streams[Int(segment.stream)].unread += segment.unread
        streams[Int(segment.stream)].live += segment.live
        if segment.writable { streams[Int(segment.stream)].active = segment.number }
        bytes += segment.size
        nextSegment = max(nextSegment, segment.number + 1)
    }

    /// Indexes a record just written at the end of segment `number`.
    mutating func appended(to number: UInt64, length: Int, unread: Bool) -> SpoolRecordID {
        let offset = segments[number]!.size
        segments[number]!.add(offset: offset, length: length, state: unread ? .unread : .held)
        segments[number]!.size += length
        segments[number]!.dataDirty = true
        bytes += length
        let stream = segments[number]!.stream
        streams[Int(stream)].live += 1
        if unread { streams[Int(stream)].unread += 1 }
        return SpoolRecordID(segment: number, offset: UInt32(offset), stream: stream)
    }

    /// Moves record `id` to `state` if it is in one of `from`; returns its old state, or `nil` when
    /// its segment is gone (evicted) or no record starts there.
    mutating func transition(
        _ id: SpoolRecordID, from: Set<SegmentIndex.RecordState>, to state: SegmentIndex.RecordState
    ) -> SegmentIndex.RecordState? {
        guard let index = segments[id.segment]?.position(of: id.offset) else { return nil }
        let old = segments[id.segment]!.states[index]
        guard from.contains(old) else { return old }
        segments[id.segment]!.set(index, to: state)
        account(stream: id.stream, from: old, to: state)
        return old
    }

    /// The oldest unread record of `stream`, now in flight: its id, file and length.
    mutating func takeNext(stream: UInt32) -> (id: SpoolRecordID, file: SegmentFile, length: Int)? {
        guard streams[Int(stream)].unread > 0 else { return nil }
        for number in streams[Int(stream)].segments where segments[number]!.unread > 0 {
            guard let index = segments[number]!.takeUnread(), let file = segments[number]!.file else { continue }
            account(stream: stream, from: .unread, to: .inFlight)
            let segment = segments[number]!
            return (SpoolRecordID(segment: number, offset: segment.offsets[index], stream: stream), file, Int(segment.lengths[index]))
        }
        return nil
    }

    /// Forgets segment `number`; returns it (its counts say what was lost).
    @discardableResult
    mutating func remove(_ number: UInt64) -> SegmentIndex? {
        guard let segment = segments.removeValue(forKey: number) else { return nil }
        let stream = Int(segment.stream)
        streams[stream].segments.removeAll { $0 == number }
        if streams[stream].active == number { streams[stream].active = nil }
        streams[stream].unread -= segment.unread
        streams[stream].live -= segment.live
        bytes -= segment.size
        return segment
    }

    /// The oldest segment other than `kept`.
    func oldestSegment(except kept: UInt64?) -> UInt64? {
        segments.keys.filter { $0 != kept }.min()
    }

    /// Bytes the record index holds (the arrays' capacities), for the memory bound's test.
    var indexBytes: Int { segments.values.reduce(0) { $0 + $1.indexBytes } }

    /// Counts `count` records of `stream` discarded for `reason`; returns the report for `onDiscard`.
    mutating func discard(_ reason: SpoolDiscard, stream: UInt32, count: Int) -> Discard {
        discarded[reason, default: 0] += count
        return Discard(stream: streams[Int(stream)].name, reason: reason, count: count)
    }

    /// Changes the settled state of segment `number`'s acknowledgement file as written.
    mutating func setAcksDirty(_ number: UInt64, _ dirty: Bool) { segments[number]?.acksDirty = dirty }
    /// Marks segment `number` synced (or, after a failed sync, not).
    mutating func setDataDirty(_ number: UInt64, _ dirty: Bool) { segments[number]?.dataDirty = dirty }
    /// Marks segment `number`'s index file written.
    mutating func setIndexed(_ number: UInt64) { segments[number]?.indexed = true }
    /// Closes segment `number` for appends.
    mutating func seal(_ number: UInt64) {
        segments[number]?.writable = false
        if let stream = segments[number]?.stream, streams[Int(stream)].active == number { streams[Int(stream)].active = nil }
    }
    /// Drops every file reference (the descriptors close as the last reference goes).
    mutating func closeFiles() {
        for number in segments.keys { segments[number]!.file = nil }
    }

    private mutating func account(stream: UInt32, from old: SegmentIndex.RecordState, to state: SegmentIndex.RecordState) {
        if old == .unread { streams[Int(stream)].unread -= 1 }
        if state == .unread { streams[Int(stream)].unread += 1 }
        if old == .settled { streams[Int(stream)].live += 1 }
        if state == .settled { streams[Int(stream)].live -= 1 }
    }
}

/// One call of the spool's `onDiscard`, gathered under the lock and made after it.
struct Discard {
    var stream: String
    var reason: SpoolDiscard
    var count: Int
}
