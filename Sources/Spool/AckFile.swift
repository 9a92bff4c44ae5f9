#if canImport(Glibc)
import Glibc
#endif

/// The acknowledgement file beside a segment (`<number>.ack`): the offsets of its settled
/// records, so that a reopened spool does not deliver them again.
///
/// Layout (little-endian): magic `SPA1`, the count, CRC-32C of the offsets, then the offsets as
/// `UInt32`. Written whole to `<number>.ack.tmp`, synced and renamed over the old one, so a
/// reader sees the old list or the new one. A file that fails its checks is ignored (counted as
/// damage): its records are delivered again, never lost.
enum AckFile {
    static let magic: UInt32 = 0x3141_5053  // "SPA1" read little-endian

    /// The encoded file for `offsets`.
    static func encode(_ offsets: [UInt32]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 12 + 4 * offsets.count)
        bytes.withUnsafeMutableBytes { raw in
            for (index, offset) in offsets.enumerated() {
                raw.storeBytes(of: offset.littleEndian, toByteOffset: 12 + 4 * index, as: UInt32.self)
            }
            let crc = CRC32C.update(0, UnsafeRawBufferPointer(rebasing: raw[12...]))
            raw.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: UInt32(offsets.count).littleEndian, toByteOffset: 4, as: UInt32.self)
            raw.storeBytes(of: crc.littleEndian, toByteOffset: 8, as: UInt32.self)
        }
        return bytes
    }

    /// The offsets in `bytes`, or `nil` when they fail the magic, length or CRC check.
    static func decode(_ bytes: [UInt8]) -> [UInt32]? {
        bytes.withUnsafeBytes { raw -> [UInt32]? in
            guard raw.count >= 12, UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)) == magic else { return nil }
            let count = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
            let crc = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            guard raw.count == 12 + 4 * count, CRC32C.update(0, UnsafeRawBufferPointer(rebasing: raw[12...])) == crc else {
                return nil
            }
            return (0..<count).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12 + 4 * $0, as: UInt32.self)) }
        }
    }

    /// Reads the acknowledgement file at `path`: `nil` if there is none, `.failure` if it is damaged.
    static func read(_ path: String) -> Result<[UInt32], SpoolError>? {
        guard let file = try? SegmentFile(path: path) else { return nil }
        guard let (size, _) = try? file.status(), size <= 12 + 4 * Int(UInt32.max / 40),
            let bytes = try? file.read(count: size, at: 0), let offsets = decode(bytes)
        else { return .failure(SpoolError(.io, "damaged acknowledgement file \(path)")) }
        return .success(offsets)
    }

    /// Replaces the file at `path` with one listing `offsets`: write, sync, rename.
    static func write(_ offsets: [UInt32], to path: String) throws(SpoolError) {
        let temporary = path + ".tmp"
        unlink(temporary)
        do throws(SpoolError) {
            let file = try SegmentFile(path: temporary, create: true)
            try file.write(encode(offsets), at: 0)
            try file.sync()
            try syscall("rename", path) { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
