/// Where a ``Spool`` keeps its files, how much it may hold, and how often it reaches the disk.
///
/// Thread-safety: a value; `Sendable`.
package struct SpoolConfiguration: Sendable, Equatable {
    /// The spool's directory (one subdirectory per stream); created with mode 0750 if missing.
    package var directory: String
    /// The budget of the whole spool, every stream's segment files together, in bytes.
    package var maxBytes: Int
    /// How often the sync thread calls `fdatasync` and writes acknowledgements; `.zero` syncs
    /// every append on the appending thread.
    package var syncInterval: Duration
    /// Records captured longer ago than this (by `capturedAtMicros` against the wall clock) are
    /// discarded on read and reported as ``SpoolDiscard/expired``; `nil` keeps them forever.
    package var maxAge: Duration?
    /// The size at which a segment file is closed and the next one begun.
    package var segmentBytes: Int

    /// The smallest segment size: smaller ones would only multiply files and syscalls.
    package static let minimumSegmentBytes = 64 * 1024
    /// The largest segment size: offsets within a segment are 32-bit.
    package static let maximumSegmentBytes = 1 << 30

    /// Creates a configuration.
    /// - Parameters:
    ///   - directory: The spool's directory.
    ///   - maxBytes: The budget of all segment files together.
    ///   - syncInterval: The `fdatasync` cadence; `.zero` syncs every append.
    ///   - maxAge: The age beyond which records are discarded on read.
    ///   - segmentBytes: The segment size; by default `min(4 MiB, maxBytes / 8)`. Kept between
    ///     ``minimumSegmentBytes`` and ``maximumSegmentBytes``.
    package init(
        directory: String, maxBytes: Int, syncInterval: Duration = .milliseconds(1000), maxAge: Duration? = nil,
        segmentBytes: Int? = nil
    ) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.syncInterval = syncInterval
        self.maxAge = maxAge
        self.segmentBytes = min(Self.maximumSegmentBytes, max(Self.minimumSegmentBytes, segmentBytes ?? min(4 * 1024 * 1024, maxBytes / 8)))
    }

    /// Whether `name` can name a stream: 1-64 characters of `[A-Za-z0-9._-]`, and not `.` or `..`.
    package static func isValidStreamName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard (1...64).contains(bytes.count), name != ".", name != ".." else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
    }
}
