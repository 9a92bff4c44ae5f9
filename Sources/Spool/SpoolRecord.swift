/// One stored frame: its stream, its sequence number, when it was captured, and two opaque byte
/// strings.
///
/// Thread-safety: a value; `Sendable`.
package struct SpoolRecord: Sendable, Equatable {
    /// The stream it belongs to: 1-64 characters of `[A-Za-z0-9._-]`.
    package var stream: String
    /// The stream's sequence number of the frame (stored, not interpreted).
    package var seq: Int64
    /// When the frame was captured, in microseconds since the Unix epoch; ``SpoolConfiguration/maxAge``
    /// counts from it.
    package var capturedAtMicros: Int64
    /// Bytes the caller needs beside the body; opaque to the spool.
    package var metadata: [UInt8]
    /// The frame's bytes.
    package var body: [UInt8]

    /// Creates a record.
    package init(stream: String, seq: Int64, capturedAtMicros: Int64, metadata: [UInt8], body: [UInt8]) {
        self.stream = stream
        self.seq = seq
        self.capturedAtMicros = capturedAtMicros
        self.metadata = metadata
        self.body = body
    }
}

/// Where a record lies: its segment and its offset in it. Ordered as records were appended.
///
/// Opaque: meaningful only to the ``Spool`` that returned it, until that spool closes.
package struct SpoolRecordID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The segment's number; numbers grow with every segment, whatever its stream.
    let segment: UInt64
    /// The record's byte offset in its segment file.
    let offset: UInt32
    /// The spool's index of the record's stream (so that a record whose segment is gone can
    /// still be reported against its stream).
    let stream: UInt32

    /// Orders ids by segment, then offset: the order of appends within a stream.
    package static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset)
    }

    /// `segment:offset`.
    package var description: String { "\(segment):\(offset)" }
}

/// Why records left the spool without being acknowledged.
package enum SpoolDiscard: String, Sendable {
    /// Evicted by the budget, oldest segment first.
    case full
    /// Older than ``SpoolConfiguration/maxAge`` when read.
    case expired
    /// Found damaged: a checksum failed, a region could not be parsed, or a file was cut short.
    case damaged
}

/// How much the spool holds, and what it has discarded since it opened.
///
/// Thread-safety: a value; `Sendable`.
package struct SpoolUsage: Sendable, Equatable {
    /// Bytes of every segment file; never above ``SpoolConfiguration/maxBytes``.
    package var bytes: Int
    /// Records not yet acknowledged (unread, held by the caller, or in flight).
    package var records: Int
    /// Records that ``Spool/next(stream:)`` would deliver.
    package var unread: Int
    /// Segment files.
    package var segments: Int
    /// Records (or damaged regions) discarded since the spool opened, by reason; recovery's
    /// damage included.
    package var discarded: [SpoolDiscard: Int]
}
