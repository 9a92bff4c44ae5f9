import Supervision
import Testing

@testable import VideoPipeline

/// ``RangeExpansion`` against the limited → full range formulas stated apart, in `Int` with a
/// truncating division: every sample value in every lane of the vector kernel and in its scalar
/// tail, then generated planes of widths 1 to 70 with padded, odd strides, where the bytes past
/// `width` must stay as they were. Each through both ways in: `apply` (a table lookup in debug
/// builds) and the vector kernel, which release builds run.
@Suite("Limited → full range expansion")
struct RangeExpansionTests {
    /// The oracle. Luma: `(y - 16) * 255 / 219`, rounded, clamped. Chroma: `(c - 128) * 255 / 224
    /// + 128`, rounded half away from 128, clamped.
    static func oracle(_ plane: RangeExpansion.Plane, _ value: Int) -> UInt8 {
        switch plane {
        case .luma:
            return UInt8(clamping: max(0, ((value - 16) * 255 + 109) / 219))
        case .chroma:
            let centred = (value - 128) * 255
            return UInt8(clamping: max(0, (centred + (centred >= 0 ? 112 : -112)) / 224 + 128))
        }
    }

    enum Path: CaseIterable {
        case apply, vectorised

        func run(_ plane: RangeExpansion.Plane, _ base: UnsafeMutablePointer<UInt8>, width: Int, rows: Int, stride: Int) {
            switch self {
            case .apply: RangeExpansion.apply(plane, to: base, width: width, rows: rows, stride: stride)
            case .vectorised: RangeExpansion.applyVectorised(plane, to: base, width: width, rows: rows, stride: stride)
            }
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: [RangeExpansion.Plane.luma, .chroma], Path.allCases)
    func everySampleValueMapsAsTheFormulaSaysInEveryLane(plane: RangeExpansion.Plane, path: Path) {
        #expect((0..<256).filter { plane.expand(UInt8($0)) != Self.oracle(plane, $0) } == [], "scalar")
        // Sixteen rows, each holding every value once, rotated by one from row to row: each value
        // passes through each of the sixteen lanes; a width of 256 + 15 leaves a scalar tail.
        let width = 256 + 15, stride = width
        var samples = (0..<(16 * stride)).map { UInt8(truncatingIfNeeded: $0 % stride + $0 / stride) }
        let input = samples
        samples.withUnsafeMutableBufferPointer {
            path.run(plane, $0.baseAddress!, width: width, rows: 16, stride: stride)
        }
        let wrong = samples.indices.filter { samples[$0] != Self.oracle(plane, Int(input[$0])) }
        #expect(wrong.isEmpty, "\(wrong.count) wrong, first at \(wrong.first.map { "\($0): \(input[$0])" } ?? "")")
    }

    @Test(.timeLimit(.minutes(1)), arguments: 0..<280, Path.allCases)
    func generatedPlanesAreExpandedUpToTheirWidthOnly(seed: Int, path: Path) {
        var random = SplitMix64(seed: UInt64(seed))
        let plane: RangeExpansion.Plane = seed % 2 == 0 ? .luma : .chroma
        let width = 1 + seed / 2 % 70  // every width from 1 to 70, for both planes
        let stride = width + random.below(40)
        let rows = random.below(12)
        let offset = random.below(16)  // rows that start anywhere, not only on 16-byte boundaries
        var buffer = (0..<(offset + rows * stride + 16)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let input = buffer
        buffer.withUnsafeMutableBufferPointer {
            path.run(plane, $0.baseAddress! + offset, width: width, rows: rows, stride: stride)
        }
        let wrong = buffer.indices.filter { index in
            let row = (index - offset) / stride, column = (index - offset) % stride
            let inside = index >= offset && row < rows && column < width
            return buffer[index] != (inside ? Self.oracle(plane, Int(input[index])) : input[index])
        }
        #expect(wrong.isEmpty, "\(plane) \(width)x\(rows), stride \(stride), offset \(offset): \(wrong.count) wrong bytes, first at \(wrong.first ?? -1)")
    }

    @Test(.timeLimit(.minutes(1)))
    func theLimitedRangeMapsOntoTheFullRange() {
        let luma = (0..<256).map { RangeExpansion.Plane.luma.expand(UInt8($0)) }
        let chroma = (0..<256).map { RangeExpansion.Plane.chroma.expand(UInt8($0)) }
        #expect(luma[16] == 0 && luma[235] == 255)
        #expect(luma[0] == 0 && luma[255] == 255)
        #expect(chroma[16] == 0 && chroma[128] == 128 && chroma[240] == 255)
        #expect(chroma[0] == 0 && chroma[255] == 255)
        // Symmetric around 128 inside the limited range, and never decreasing.
        #expect((0..<112).allSatisfy { Int(chroma[128 + $0]) - 128 == 128 - Int(chroma[128 - $0]) })
        #expect(zip(luma, luma.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(zip(chroma, chroma.dropFirst()).allSatisfy { $0 <= $1 })
    }
}
