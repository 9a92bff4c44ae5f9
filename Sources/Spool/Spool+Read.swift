import Durations

extension Spool {
    /// The oldest unread record of `stream` (append order), now marked as read (in flight), or
    /// `nil` when there is none.
    ///
    /// Records older than ``SpoolConfiguration/maxAge`` are skipped and reported as
    /// ``SpoolDiscard/expired``; records that fail their checksums, or cannot be read, are skipped
    /// and reported as ``SpoolDiscard/damaged``. Blocks on `pread` on the calling thread.
    /// - Throws: ``SpoolError`` (`.unavailable`) when the spool has closed.
    package func next(stream: String) throws -> (id: SpoolRecordID, record: SpoolRecord)? {
        while true {
            let taken = try state.withLock { (state) throws(SpoolError) in
                guard state.isOpen else { throw SpoolError(.unavailable, "spool \(directory.path) is closed") }
                return state.existingStream(named: stream).flatMap { state.takeNext(stream: $0) }
            }
            guard let (id, file, length) = taken else { return nil }
            guard let bytes = try? file.read(count: length, at: Int(id.offset)), bytes.count == length,
                let header = bytes.withUnsafeBytes({ RecordHeader(decoding: $0) }), header.recordLength == length,
                bytes.withUnsafeBytes({ header.matches(payload: UnsafeRawBufferPointer(rebasing: $0[RecordHeader.size...])) })
            else {
                settle(id, discarding: .damaged)
                continue
            }
            if let maxAge = configuration.maxAge, wallClockMicros() &- header.capturedAtMicros > maxAge.microseconds {
                settle(id, discarding: .expired)
                continue
            }
            let bodyStart = RecordHeader.size + Int(header.metadataLength)
            let record = SpoolRecord(
                stream: stream, seq: header.seq, capturedAtMicros: header.capturedAtMicros,
                metadata: Array(bytes[RecordHeader.size..<bodyStart]), body: Array(bytes[bodyStart...]))
            return (id, record)
        }
    }

    /// Makes a record appended with `unread: false` deliverable by ``next(stream:)`` (the caller
    /// dropped its memory copy); it is delivered in id order among the others. If its segment was
    /// evicted meanwhile, the record is reported as ``SpoolDiscard/full``.
    package func markUnread(_ id: SpoolRecordID) {
        move(id, from: [.held], to: .unread)
    }

    /// Puts records delivered by ``next(stream:)`` but not acknowledged back as unread (their
    /// connection ended before they settled): they are delivered again, in id order, before later
    /// ones. Records whose segment was evicted meanwhile are reported as ``SpoolDiscard/full``.
    package func release(_ ids: [SpoolRecordID]) {
        for id in ids { move(id, from: [.inFlight], to: .unread) }
    }

    /// Settles a record (delivered, or refused for good): it is never delivered again, even after
    /// a crash once the next sync has written it. A segment whose records are all settled, and
    /// that is not being appended to, is deleted.
    package func acknowledge(_ id: SpoolRecordID) {
        state.withLock { state in
            _ = state.transition(id, from: [.unread, .held, .inFlight], to: .settled)
            removeIfSettled(&state, id.segment)
        }
        if configuration.syncInterval == .zero { signal.request() }
    }

    /// Settles a record that will not be delivered, and reports why.
    private func settle(_ id: SpoolRecordID, discarding reason: SpoolDiscard) {
        let discard = state.withLock { state in
            _ = state.transition(id, from: [.inFlight], to: .settled)
            removeIfSettled(&state, id.segment)
            return state.discard(reason, stream: id.stream, count: 1)
        }
        report([discard])
    }

    private func move(_ id: SpoolRecordID, from: Set<SegmentIndex.RecordState>, to state: SegmentIndex.RecordState) {
        let lost = self.state.withLock { current -> Discard? in
            guard current.isOpen, Int(id.stream) < current.streams.count,
                current.transition(id, from: from, to: state) == nil
            else { return nil }
            return current.discard(.full, stream: id.stream, count: 1)
        }
        if let lost { report([lost]) }
    }
}
