import Supervision
import Testing
@testable import VideoPipeline

@Suite("IDR pictures told from packet bytes (pure logic)")
struct RandomAccessTests {
    /// A NAL unit header byte of `type`.
    static func header(_ type: Int, _ codec: RandomAccess.Codec) -> UInt8 {
        codec == .h264 ? UInt8(0x60 | type) : UInt8(type << 1)
    }

    /// A generated access unit: non-picture units, then pictures, of random types; whether its
    /// first picture is an IDR one; and its bytes, framed by start codes or by length prefixes.
    static func accessUnit(
        _ codec: RandomAccess.Codec, lengthSize: Int?, _ random: inout SplitMix64
    ) -> (bytes: [UInt8], idr: Bool) {
        let slices = codec == .h264 ? Array(1...5) : Array(0...31)
        let others = codec == .h264 ? [6, 7, 8, 9, 12] : [32, 33, 34, 35, 39]
        let idr = codec == .h264 ? [5] : [19, 20]
        var types = (0..<random.below(4)).map { _ in others[random.below(others.count)] }
        let first = slices[random.below(slices.count)]
        types.append(first)
        types += (0..<random.below(3)).map { _ in random.below(2) == 0 ? first : others[random.below(others.count)] }
        var bytes: [UInt8] = []
        for type in types {
            // Payload bytes above 3 never look like a start code.
            let unit = [header(type, codec)] + (codec == .hevc ? [1] : []) + (0..<random.below(40)).map { _ in UInt8(4 + random.below(252)) }
            if let lengthSize {
                bytes += (0..<lengthSize).reversed().map { UInt8(truncatingIfNeeded: unit.count >> (8 * $0)) }
            } else {
                bytes += random.below(2) == 0 ? [0, 0, 1] : [0, 0, 0, 1]
            }
            bytes += unit
        }
        return (bytes, idr.contains(first))
    }

    @Test(.timeLimit(.minutes(1)), arguments: [RandomAccess.Codec.h264, .hevc])
    func theFirstPictureDecidesInEitherFraming(codec: RandomAccess.Codec) {
        var random = SplitMix64(seed: codec == .h264 ? 264 : 265)
        for lengthSize in [nil, 1, 2, 4] as [Int?] {
            let scanner = RandomAccess(codec: codec, lengthSize: lengthSize)
            var seen = (idr: 0, other: 0)
            for _ in 0..<2_000 {
                let (bytes, idr) = Self.accessUnit(codec, lengthSize: lengthSize, &random)
                let found = bytes.withUnsafeBytes { scanner.beginsSequence($0) }
                #expect(found == idr, "\(codec), length size \(String(describing: lengthSize)): \(bytes.prefix(24))")
                if idr { seen.idr += 1 } else { seen.other += 1 }
            }
            #expect(seen.idr > 50 && seen.other > 50)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func theFramingComesFromTheDecoderConfigurationRecord() throws {
        // avcC: version 1, the length size minus one in byte 4; hvcC: in byte 21.
        let avcC: [UInt8] = [1, 0x64, 0, 0x1F, 0xFC | 1, 0xE1]
        var hvcC = [UInt8](repeating: 0, count: 23)
        hvcC[0] = 1
        hvcC[21] = 0xF0 | 3
        let annexB: [UInt8] = [0, 0, 0, 1, 0x67, 0x64]
        #expect(avcC.withUnsafeBytes { RandomAccess(codec: .h264, extradata: $0) }?.lengthSize == 2)
        #expect(hvcC.withUnsafeBytes { RandomAccess(codec: .hevc, extradata: $0) }?.lengthSize == 4)
        #expect(annexB.withUnsafeBytes { RandomAccess(codec: .h264, extradata: $0) }?.lengthSize == nil)
        #expect([UInt8]().withUnsafeBytes { RandomAccess(codec: .hevc, extradata: $0) }?.lengthSize == nil)
        // A record too short to hold its length size says nothing.
        #expect(avcC.prefix(4).withUnsafeBytes { RandomAccess(codec: .h264, extradata: $0) } == nil)
        #expect(hvcC.prefix(21).withUnsafeBytes { RandomAccess(codec: .hevc, extradata: $0) } == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func truncatedOrRandomBytesNeverTrapAndNeverClaimAnIDRPictureThatIsNotThere() {
        // Every prefix of generated access units, and random bytes: a scan stays inside the
        // buffer (debug builds trap otherwise), and says IDR only if the bytes it read say so.
        var random = SplitMix64(seed: 0xBAD_B17E5)
        for codec in [RandomAccess.Codec.h264, .hevc] {
            for lengthSize in [nil, 1, 2, 4] as [Int?] {
                let scanner = RandomAccess(codec: codec, lengthSize: lengthSize)
                for _ in 0..<300 {
                    let (bytes, idr) = Self.accessUnit(codec, lengthSize: lengthSize, &random)
                    for end in 0...bytes.count {
                        let found = bytes.prefix(end).withUnsafeBytes { scanner.beginsSequence($0) }
                        #expect(!found || idr, "\(codec): a prefix of \(end) bytes of a non-IDR access unit")
                    }
                    let noise = (0..<random.below(64)).map { _ in UInt8(random.below(256)) }
                    _ = noise.withUnsafeBytes { scanner.beginsSequence($0) }
                }
            }
        }
    }
}
