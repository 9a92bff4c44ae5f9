/// The fixed 40-byte header in front of every record of a segment file (little-endian):
///
/// | offset | field |
/// | --- | --- |
/// | 0 | magic `SPR1` |
/// | 4 | CRC-32C of bytes 8..<40 |
/// | 8 | metadata length |
/// | 12 | body length |
/// | 16 | seq |
/// | 24 | capturedAtMicros |
/// | 32 | CRC-32C of metadata + body |
/// | 36 | reserved, zero |
///
/// The metadata and the body follow. The header CRC lets recovery trust a header (and hop over
/// the record) without reading the body; the payload CRC is checked when the record is read.
struct RecordHeader: Equatable {
    static let size = 40
    static let magic: UInt32 = 0x3152_5053  // "SPR1" read little-endian
    /// Bounds on the lengths, so that a header can never claim more than a file could hold.
    static let maximumMetadata = 1 << 20
    static let maximumBody = 1 << 30

    var metadataLength: UInt32
    var bodyLength: UInt32
    var seq: Int64
    var capturedAtMicros: Int64
    var payloadCRC: UInt32

    /// The header and payload size: the distance to the next record.
    var recordLength: Int { Self.size + Int(metadataLength) + Int(bodyLength) }

    /// The header of `record`, its payload checksummed.
    init(of record: SpoolRecord) {
        metadataLength = UInt32(record.metadata.count)
        bodyLength = UInt32(record.body.count)
        seq = record.seq
        capturedAtMicros = record.capturedAtMicros
        payloadCRC = CRC32C.update(CRC32C.update(0, record.metadata), record.body)
    }

    /// Decodes the header at the start of `bytes`; `nil` when the magic, the CRC or a length is
    /// wrong, or `bytes` is too short.
    init?(decoding bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.size, Self.load(bytes, 0, as: UInt32.self) == Self.magic,
            Self.load(bytes, 4, as: UInt32.self) == CRC32C.update(0, UnsafeRawBufferPointer(rebasing: bytes[8..<Self.size])),
            Self.load(bytes, 36, as: UInt32.self) == 0
        else { return nil }
        metadataLength = Self.load(bytes, 8, as: UInt32.self)
        bodyLength = Self.load(bytes, 12, as: UInt32.self)
        seq = Self.load(bytes, 16, as: Int64.self)
        capturedAtMicros = Self.load(bytes, 24, as: Int64.self)
        payloadCRC = Self.load(bytes, 32, as: UInt32.self)
        guard metadataLength <= Self.maximumMetadata, bodyLength <= Self.maximumBody else { return nil }
    }

    /// The 40 encoded bytes.
    func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: Self.magic.littleEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: metadataLength.littleEndian, toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: bodyLength.littleEndian, toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: seq.littleEndian, toByteOffset: 16, as: Int64.self)
            raw.storeBytes(of: capturedAtMicros.littleEndian, toByteOffset: 24, as: Int64.self)
            raw.storeBytes(of: payloadCRC.littleEndian, toByteOffset: 32, as: UInt32.self)
            let crc = CRC32C.update(0, UnsafeRawBufferPointer(rebasing: raw[8..<Self.size]))
            raw.storeBytes(of: crc.littleEndian, toByteOffset: 4, as: UInt32.self)
        }
        return bytes
    }

    /// Whether a payload (metadata then body) matches the header's checksum.
    func matches(payload: UnsafeRawBufferPointer) -> Bool {
        payload.count == Int(metadataLength) + Int(bodyLength) && CRC32C.update(0, payload) == payloadCRC
    }

    private static func load<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, _ offset: Int, as: T.Type) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
