/// What the spool keeps in memory about one segment file: where each record lies and where it is
/// in its life, nine bytes a record.
///
/// A pure value: no I/O, no locking (``SpoolState`` holds it under the spool's lock).
struct SegmentIndex {
    /// Where a record is in its life.
    enum RecordState: UInt8 {
        /// ``Spool/next(stream:)`` will deliver it.
        case unread
        /// Written with `unread: false`: the caller delivers it from memory until ``Spool/markUnread(_:)``.
        case held
        /// Delivered by `next`, not yet acknowledged.
        case inFlight
        /// Acknowledged, or discarded (expired, damaged): never delivered again.
        case settled
    }

    let number: UInt64
    let stream: UInt32
    /// The open file; `nil` once the spool has closed.
    var file: SegmentFile?
    /// Bytes of the file.
    var size: Int
    /// Whether appends go to it (the newest segment of its stream, opened in this run).
    var writable: Bool
    private(set) var offsets: [UInt32] = []
    private(set) var lengths: [UInt32] = []
    private(set) var states: [RecordState] = []
    /// No unread record lies before this index.
    private var cursor = 0
    private(set) var unread = 0
    /// Records not settled.
    private(set) var live = 0
    /// Appended to since the last `fdatasync`.
    var dataDirty = false
    /// Settled since the acknowledgement file was last written.
    var acksDirty = false
    /// Has a valid index file (written once the segment is sealed and synced).
    var indexed = false

    init(number: UInt64, stream: UInt32, file: SegmentFile, size: Int, writable: Bool) {
        self.number = number
        self.stream = stream
        self.file = file
        self.size = size
        self.writable = writable
    }

    var count: Int { states.count }

    /// Adds the record at `offset` (after every record already indexed).
    mutating func add(offset: Int, length: Int, state: RecordState) {
        offsets.append(UInt32(offset))
        lengths.append(UInt32(length))
        states.append(state)
        if state == .unread { unread += 1 }
        if state != .settled { live += 1 }
    }

    /// The index of the record at `offset`, if one starts there.
    func position(of offset: UInt32) -> Int? {
        var low = 0
        var high = offsets.count
        while low < high {
            let middle = (low + high) / 2
            if offsets[middle] < offset { low = middle + 1 } else { high = middle }
        }
        return low < offsets.count && offsets[low] == offset ? low : nil
    }

    /// The first unread record, now in flight: its index.
    mutating func takeUnread() -> Int? {
        guard unread > 0 else { return nil }
        while states[cursor] != .unread { cursor += 1 }
        set(cursor, to: .inFlight)
        return cursor
    }

    /// Moves record `index` to `state`; returns the state it had.
    @discardableResult
    mutating func set(_ index: Int, to state: RecordState) -> RecordState {
        let old = states[index]
        guard old != state else { return old }
        states[index] = state
        if old == .unread { unread -= 1 }
        if state == .unread {
            unread += 1
            cursor = min(cursor, index)
        }
        if old == .settled { live += 1 }
        if state == .settled {
            live -= 1
            acksDirty = true
        }
        return old
    }

    /// Bytes of the three per-record arrays, by capacity.
    var indexBytes: Int { offsets.capacity * 4 + lengths.capacity * 4 + states.capacity }

    /// The content of the index file: the segment's size, then each record's offset and length.
    var indexValues: [UInt32] {
        var values = [UInt32(size)]
        values.reserveCapacity(1 + 2 * offsets.count)
        for index in offsets.indices { values += [offsets[index], lengths[index]] }
        return values
    }

    /// The offsets of the settled records: the content of the acknowledgement file.
    var settledOffsets: [UInt32] {
        states.indices.compactMap { states[$0] == .settled ? offsets[$0] : nil }
    }
}
