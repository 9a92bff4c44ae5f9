/// Expands limited-range ("TV", 16...235 luma, 16...240 chroma) 8-bit YUV samples to full range
/// (0...255), which JPEG (JFIF) requires, sixteen samples at a time in integer arithmetic.
///
/// ``FrameScaler`` scales a limited-range source without swscale's range conversion and applies
/// this to the smaller, scaled picture instead: swscale 5.1 converts the range on every source
/// line in plain C, which cost more than the whole scale at 640×360 → 320×180 (bench/fleet/run.py;
/// the commit that added this has the figures). Values outside the limited range are clamped to
/// 0 and 255.
enum RangeExpansion {
    /// The kind of plane, which sets the limited range.
    enum Plane {
        /// Luma: `(y - 16) * 255 / 219`, rounded, clamped.
        case luma
        /// Chroma: `(c - 128) * 255 / 224 + 128`, rounded half away from 128, clamped. (The one tie
        /// above 128, at 240, rounds down here to 255, which is what the clamp makes of the rounded 256.)
        case chroma

        /// The full-range value of one sample.
        func expand(_ sample: UInt8) -> UInt8 { mapping.expand(sample) }

        fileprivate var mapping: Mapping {
            switch self {
            case .luma: Mapping(lower: 16, upper: 235, bias: 109)
            case .chroma: Mapping(lower: 16, upper: 240, bias: 223)
            }
        }
    }

    /// Maps `rows` rows of `width` samples, `stride` bytes apart from `base`, to full range;
    /// bytes between `width` and `stride` are left as they are.
    static func apply(_ plane: Plane, to base: UnsafeMutablePointer<UInt8>, width: Int, rows: Int, stride: Int) {
        #if DEBUG
        // Unoptimised, Swift's SIMD operators run lane by lane through generic code, about 100 times
        // slower than a table lookup (about 13 s for an 8K frame), so debug builds, which `swift test`
        // runs, look samples up in tables made from the same mapping. The tests check both paths.
        let table = plane == .luma ? lumaTable : chromaTable
        table.withUnsafeBufferPointer { table in
            for y in 0..<rows {
                let row = base + y * stride
                for x in 0..<width { row[x] = table[Int(row[x])] }
            }
        }
        #else
        applyVectorised(plane, to: base, width: width, rows: rows, stride: stride)
        #endif
    }

    #if DEBUG
    private static let lumaTable = (0...255).map { Plane.luma.expand($0) }
    private static let chromaTable = (0...255).map { Plane.chroma.expand($0) }
    #endif

    /// ``apply(_:to:width:rows:stride:)`` sixteen samples at a time, what release builds run.
    static func applyVectorised(_ plane: Plane, to base: UnsafeMutablePointer<UInt8>, width: Int, rows: Int, stride: Int) {
        // One loop per plane, each with its constants folded in: SSE2's multiply-high (pmulhuw) is
        // only chosen for a multiplier the compiler can see fits 16 bits.
        switch plane {
        case .luma: expand(Plane.luma.mapping, base, width: width, rows: rows, stride: stride)
        case .chroma: expand(Plane.chroma.mapping, base, width: width, rows: rows, stride: stride)
        }
    }

    @inline(__always)
    private static func expand(_ mapping: Mapping, _ base: UnsafeMutablePointer<UInt8>, width: Int, rows: Int, stride: Int) {
        for y in 0..<rows {
            let row = base + y * stride
            let bytes = UnsafeMutableRawPointer(row)
            var x = 0
            // Sixteen samples per step, widened to 16 bits in two halves of eight.
            while x &+ 16 <= width {
                let samples = bytes.loadUnaligned(fromByteOffset: x, as: SIMD16<UInt8>.self)
                let low = mapping.expand(SIMD8(truncatingIfNeeded: samples.lowHalf))
                let high = mapping.expand(SIMD8(truncatingIfNeeded: samples.highHalf))
                let expanded = SIMD16(lowHalf: SIMD8<UInt8>(truncatingIfNeeded: low), highHalf: SIMD8(truncatingIfNeeded: high))
                bytes.storeBytes(of: expanded, toByteOffset: x, as: SIMD16<UInt8>.self)
                x &+= 16
            }
            while x < width {
                row[x] = mapping.expand(row[x])
                x &+= 1
            }
        }
    }
}

/// One plane's mapping: `d = clamp(v, lower, upper) - lower`, then `(255 * d + bias) / D` rounded
/// down, where `D = upper - lower`.
///
/// The quotient is computed as `d + (slope * d + bias) / D` with `slope = 255 - D`, so that the
/// numerator stays below 8,800 and fits 16 bits, and that division is a multiply-high by
/// `multiplier = ⌈2^21 / D⌉` and a shift by 5. It is exact for numerators below
/// `2^21 / (multiplier * D - 2^21)`: 9,939 for luma, 13,107 for chroma.
private struct Mapping {
    let lower: UInt16
    let upper: UInt16
    let bias: UInt16
    let slope: UInt16
    let multiplier: UInt16

    init(lower: UInt16, upper: UInt16, bias: UInt16) {
        let divisor = UInt32(upper - lower)
        self.lower = lower
        self.upper = upper
        self.bias = bias
        slope = 255 - UInt16(divisor)
        multiplier = UInt16(((1 << 21) + divisor - 1) / divisor)
    }

    /// The full-range value of one sample.
    func expand(_ sample: UInt8) -> UInt8 {
        let d = UInt32(min(max(UInt16(sample), lower), upper) - lower)
        return UInt8(truncatingIfNeeded: d + ((d * UInt32(slope) + UInt32(bias)) * UInt32(multiplier)) >> 21)
    }

    /// The full-range values of eight samples (0...255 each).
    ///
    /// Only `lower` is clamped first; above `upper` the quotient is exact still (the numerators
    /// stay below 8,800) and passes 255, where the final clamp takes it back.
    @inline(__always)
    func expand(_ samples: SIMD8<UInt16>) -> SIMD8<UInt16> {
        let d = pointwiseMax(samples, SIMD8(repeating: lower)) &- lower
        let numerator = SIMD8<UInt32>(truncatingIfNeeded: d &* slope &+ bias)
        // The high half of the 16 × 16-bit product, then the remaining shift by 5. d is added, as
        // d << 5, before that shift, so that the two shifts do not merge into one the compiler no
        // longer recognises as a multiply-high.
        let high = SIMD8<UInt16>(truncatingIfNeeded: (numerator &* UInt32(multiplier)) &>> 16)
        return pointwiseMin((high &+ d &<< 5) &>> 5, SIMD8(repeating: 255))
    }
}
