import Testing

@testable import Spool

/// The checksum, the record header and the list files (acknowledgements, index) on their own.
@Suite struct RecordFormatTests {
    @Test func crc32cMatchesTheStandardCheckValues() {
        #expect(CRC32C.update(0, Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.update(0, [UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.update(0, [UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(CRC32C.update(CRC32C.update(0, Array(bytes[..<333])), Array(bytes[333...])) == CRC32C.update(0, bytes))
    }

    @Test func aHeaderRoundTripsAndAnyFlippedBitIsRefused() {
        let record = makeRecord("s", 42, bodyBytes: 100)
        let header = RecordHeader(of: record)
        let encoded = header.encoded()
        #expect(encoded.withUnsafeBytes { RecordHeader(decoding: $0) } == header)
        for bit in 0..<(RecordHeader.size * 8) {
            var flipped = encoded
            flipped[bit / 8] ^= 1 << (bit % 8)
            #expect(flipped.withUnsafeBytes { RecordHeader(decoding: $0) } == nil, "bit \(bit)")
        }
    }

    @Test func aListFileRoundTripsAndRefusesDamageAndTheOtherKind() {
        let offsets: [UInt32] = [0, 5040, 10_080, 99_999]
        let encoded = ListFile.acknowledgements.encode(offsets)
        #expect(ListFile.acknowledgements.decode(encoded) == offsets)
        #expect(ListFile.acknowledgements.decode(Array(encoded.dropLast())) == nil)
        var flipped = encoded
        flipped[13] ^= 0x10
        #expect(ListFile.acknowledgements.decode(flipped) == nil)
        #expect(ListFile.acknowledgements.decode([]) == nil)
        #expect(ListFile.index.decode(encoded) == nil, "an acknowledgement file is no index")
    }
}
