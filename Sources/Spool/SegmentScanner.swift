/// The recovery scan of one segment file: reads headers only, hopping from one to the next by
/// their lengths, and resynchronises after damage by searching for the next valid header.
///
/// Bodies are not read here; their checksums are checked when ``Spool/next(stream:)`` reads them.
struct SegmentScanner {
    /// What the scan found.
    struct Result {
        /// Each valid record's offset and length, in file order.
        var records: [(offset: Int, length: Int)] = []
        /// Damaged regions skipped (a garbage region, a torn tail, a file without any record).
        var damagedRegions = 0
        /// Where the last valid record ends; anything after it is a torn tail.
        var validEnd = 0
    }

    let file: SegmentFile
    let size: Int

    /// Scans the whole file.
    func scan() -> Result {
        var result = Result()
        var offset = 0
        var header = [UInt8](repeating: 0, count: RecordHeader.size)
        while offset < size {
            if let length = recordLength(at: offset, buffer: &header) {
                result.records.append((offset, length))
                offset += length
                result.validEnd = offset
                continue
            }
            // Damage: everything up to the next valid header (or the end) is one region.
            result.damagedRegions += 1
            guard let next = nextHeader(after: offset, buffer: &header) else { break }
            offset = next
        }
        if size == 0 { result.damagedRegions = 1 }
        return result
    }

    /// The length of the record whose valid header starts at `offset` and which fits in the file.
    private func recordLength(at offset: Int, buffer: inout [UInt8]) -> Int? {
        guard size - offset >= RecordHeader.size else { return nil }
        let got = buffer.withUnsafeMutableBytes { (try? file.read(into: $0, at: offset)) ?? 0 }
        guard got == RecordHeader.size,
            let header = buffer.withUnsafeBytes({ RecordHeader(decoding: $0) }),
            header.recordLength <= size - offset
        else { return nil }
        return header.recordLength
    }

    /// The offset of the first valid header after `offset`: looks for the magic in big reads,
    /// then checks each candidate.
    private func nextHeader(after offset: Int, buffer: inout [UInt8]) -> Int? {
        let chunk = 64 * 1024
        var bytes = [UInt8](repeating: 0, count: chunk)
        let magic = withUnsafeBytes(of: RecordHeader.magic.littleEndian) { Array($0) }
        var start = offset + 1
        while size - start >= RecordHeader.size {
            let got = bytes.withUnsafeMutableBytes { (try? file.read(into: $0, at: start)) ?? 0 }
            guard got >= magic.count else { return nil }
            var index = 0
            while index + magic.count <= got {
                if bytes[index] == magic[0], bytes[index + 1] == magic[1], bytes[index + 2] == magic[2],
                    bytes[index + 3] == magic[3], recordLength(at: start + index, buffer: &buffer) != nil
                {
                    return start + index
                }
                index += 1
            }
            // The next read overlaps by the magic's length less one, so no candidate is missed.
            start += got - (magic.count - 1)
        }
        return nil
    }
}
