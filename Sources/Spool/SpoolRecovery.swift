#if canImport(Glibc)
import Glibc
#endif

/// The scan at open: rebuilds the in-memory index from the directory, skipping and counting
/// damage, and never failing for it.
///
/// Every segment found is sealed (appends begin new ones); torn tails are cut off; segments with
/// every record settled, empty or unreadable ones, and stray temporary or orphaned
/// acknowledgement files are removed.
struct SpoolRecovery {
    var state = SpoolState()
    /// Unread records per stream.
    var recovered: [String: Int] = [:]
    /// Damaged regions and files per stream.
    var damaged: [String: Int] = [:]

    /// Scans `directory`, creating it if missing.
    /// - Throws: ``SpoolError`` (`.unavailable`) only when the directory cannot be created or listed.
    init(_ directory: SpoolDirectory) throws(SpoolError) {
        try SpoolDirectory.create(directory.path)
        guard let names = SpoolDirectory.list(directory.path) else {
            throw SpoolError.system("list", directory.path, errno: errno)
        }
        for name in names.sorted() where SpoolConfiguration.isValidStreamName(name) {
            guard let files = SpoolDirectory.list(directory.streamPath(name)) else { continue }
            recoverStream(name, files: files, directory)
        }
        state.discarded[.damaged] = damaged.values.reduce(0, +)
    }

    private mutating func recoverStream(_ name: String, files: [String], _ directory: SpoolDirectory) {
        let stream = state.stream(named: name)
        var segments: [UInt64] = []
        var sidecars: Set<UInt64> = []
        for file in files {
            if let number = SpoolDirectory.number(file, suffix: ".seg") {
                segments.append(number)
            } else if let number = SpoolDirectory.number(file, suffix: ".ack") ?? SpoolDirectory.number(file, suffix: ".idx") {
                sidecars.insert(number)
            } else if file.hasSuffix(".tmp") {
                unlink(directory.streamPath(name) + "/" + file)
            }
        }
        // Numbers of orphaned acknowledgement and index files count too: a new segment must
        // never take one.
        state.nextSegment = max(state.nextSegment, (sidecars.max() ?? 0) + 1)
        for number in segments.sorted() {
            recoverSegment(number, stream: stream, name: name, directory)
            sidecars.remove(number)
        }
        for number in sidecars {
            unlink(directory.ackPath(name, number))
            unlink(directory.indexPath(name, number))
        }
        recovered[name] = state.streams[Int(stream)].unread
    }

    private mutating func recoverSegment(_ number: UInt64, stream: UInt32, name: String, _ directory: SpoolDirectory) {
        let path = directory.segmentPath(name, number)
        state.nextSegment = max(state.nextSegment, number + 1)
        guard let file = try? SegmentFile(path: path), let (size, _) = try? file.status() else {
            damaged[name, default: 0] += 1
            return
        }
        var segment: SegmentIndex
        if let indexed = indexedSegment(number, stream: stream, file: file, size: size, name: name, directory) {
            segment = indexed
        } else {
            let scan = SegmentScanner(file: file, size: size).scan()
            damaged[name, default: 0] += scan.damagedRegions
            if scan.validEnd < size, !scan.records.isEmpty { try? file.truncate(to: scan.validEnd) }
            segment = SegmentIndex(
                number: number, stream: stream, file: file, size: scan.records.isEmpty ? size : scan.validEnd, writable: false)
            for record in scan.records { segment.add(offset: record.offset, length: record.length, state: .unread) }
        }
        switch ListFile.acknowledgements.read(directory.ackPath(name, number)) {
        case .success(let offsets)?:
            for offset in offsets {
                if let index = segment.position(of: offset) { segment.set(index, to: .settled) }
            }
        case .failure?: damaged[name, default: 0] += 1
        case nil: break
        }
        segment.acksDirty = false
        if segment.live == 0 {
            unlink(path)
            unlink(directory.ackPath(name, number))
            unlink(directory.indexPath(name, number))
        } else {
            state.add(segment)
        }
    }

    /// The segment as its index file describes it, if it has a valid one for a file of `size`
    /// bytes (then no header is read: each is checked when its record is read). A damaged index,
    /// or one for another size, is removed, and the segment scanned.
    private mutating func indexedSegment(
        _ number: UInt64, stream: UInt32, file: SegmentFile, size: Int, name: String, _ directory: SpoolDirectory
    ) -> SegmentIndex? {
        let path = directory.indexPath(name, number)
        guard let read = ListFile.index.read(path) else { return nil }
        var segment = SegmentIndex(number: number, stream: stream, file: file, size: size, writable: false)
        segment.indexed = true
        var valid = false
        if case .success(let values) = read, values.count % 2 == 1, values.first == UInt32(truncatingIfNeeded: size) {
            var end = 0
            valid = true
            for pair in stride(from: 1, to: values.count, by: 2) {
                let (offset, length) = (Int(values[pair]), Int(values[pair + 1]))
                guard offset >= end, length >= RecordHeader.size, offset + length <= size else {
                    valid = false
                    break
                }
                segment.add(offset: offset, length: length, state: .unread)
                end = offset + length
            }
        }
        guard valid else {
            damaged[name, default: 0] += 1
            unlink(path)
            return nil
        }
        return segment
    }
}
