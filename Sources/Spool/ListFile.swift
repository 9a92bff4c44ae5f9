#if canImport(Glibc)
import Glibc
#endif

/// A small file of `UInt32`s beside a segment, written whole and checked whole: the
/// acknowledgement file `<number>.ack` (offsets of settled records) and the index file
/// `<number>.idx` of a sealed segment (its size, then each record's offset and length).
///
/// Layout (little-endian): a magic, the count, CRC-32C of the values, then the values. Written to
/// `<name>.tmp`, synced and renamed over the old one, so a reader sees the old list or the new
/// one. A file that fails its checks is ignored and counted as damage: an acknowledgement file's
/// records are delivered again (never lost), a segment without a valid index is scanned.
struct ListFile: Equatable {
    let magic: UInt32

    /// Acknowledgement files, `SPA1`.
    static let acknowledgements = ListFile(magic: 0x3141_5053)
    /// Index files of sealed segments, `SPI1`.
    static let index = ListFile(magic: 0x3149_5053)

    /// The encoded file for `values`.
    func encode(_ values: [UInt32]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 12 + 4 * values.count)
        bytes.withUnsafeMutableBytes { raw in
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.littleEndian, toByteOffset: 12 + 4 * index, as: UInt32.self)
            }
            let crc = CRC32C.update(0, UnsafeRawBufferPointer(rebasing: raw[12...]))
            raw.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: UInt32(values.count).littleEndian, toByteOffset: 4, as: UInt32.self)
            raw.storeBytes(of: crc.littleEndian, toByteOffset: 8, as: UInt32.self)
        }
        return bytes
    }

    /// The values in `bytes`, or `nil` when they fail the magic, length or CRC check.
    func decode(_ bytes: [UInt8]) -> [UInt32]? {
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

    /// Reads the file at `path`: `nil` if there is none, `.failure` if it is damaged.
    func read(_ path: String) -> Result<[UInt32], SpoolError>? {
        guard let file = try? SegmentFile(path: path) else { return nil }
        guard let (size, _) = try? file.status(), size <= 64 << 20,
            let bytes = try? file.read(count: size, at: 0), let values = decode(bytes)
        else { return .failure(SpoolError(.io, "damaged file \(path)")) }
        return .success(values)
    }

    /// Replaces the file at `path` with one listing `values`: write, sync, rename.
    func write(_ values: [UInt32], to path: String) throws(SpoolError) {
        let temporary = path + ".tmp"
        unlink(temporary)
        do throws(SpoolError) {
            let file = try SegmentFile(path: temporary, create: true)
            try file.write(encode(values), at: 0)
            try file.sync()
            try syscall("rename", path) { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
