/// Downscales one 8-bit plane by a whole factor: each output sample is the rounded mean of the
/// `factor` x `factor` block of input samples it covers (a box filter, which is what area averaging
/// is when the ratio is a whole number).
///
/// ``FrameScaler`` uses it instead of swscale when a yuv420p picture is a whole multiple of the
/// output size in both directions, the common case of a camera's sub-stream (640x360 → 320x180,
/// 1920x1080 → 480x270). swscale 5.1's area scaler runs as a general filter and cost more than the
/// rest of the scaling step together; at a factor of 2 this kernel works on 16 output samples at a
/// time (the commit that added it has the figures; docs/benchmarks.md the current fleet figures).
enum BoxDownscale {
    /// Writes `width` x `height` output samples, `outputStride` bytes apart per row, each the mean
    /// of a `factor` x `factor` block of `input` (rows `inputStride` bytes apart), rounded half up.
    /// - Precondition: `factor >= 1`; `input` holds `height * factor` rows of `width * factor` samples.
    static func plane(
        from input: UnsafePointer<UInt8>, inputStride: Int, to output: UnsafeMutablePointer<UInt8>, outputStride: Int,
        width: Int, height: Int, factor: Int
    ) {
        precondition(factor >= 1, "BoxDownscale factor must be at least 1")
        for y in 0..<height {
            let top = input + y * factor * inputStride
            let row = output + y * outputStride
            switch factor {
            case 1: row.update(from: top, count: width)
            case 2: halve(top, top + inputStride, into: row, width: width)
            default: average(top, inputStride: inputStride, into: row, width: width, factor: factor)
            }
        }
    }

    /// One output row at factor 2: sixteen samples per step. Each 16-bit lane of a row load holds
    /// two neighbouring input samples, so the horizontal pairs add without a shuffle.
    private static func halve(
        _ upper: UnsafePointer<UInt8>, _ lower: UnsafePointer<UInt8>, into row: UnsafeMutablePointer<UInt8>, width: Int
    ) {
        let low = SIMD16<UInt16>(repeating: 0xFF)
        let a = UnsafeRawPointer(upper), b = UnsafeRawPointer(lower), out = UnsafeMutableRawPointer(row)
        var x = 0
        while x &+ 16 <= width {
            let top = a.loadUnaligned(fromByteOffset: 2 &* x, as: SIMD16<UInt16>.self)
            let bottom = b.loadUnaligned(fromByteOffset: 2 &* x, as: SIMD16<UInt16>.self)
            let sum = (top & low) &+ (top &>> 8) &+ (bottom & low) &+ (bottom &>> 8) &+ 2
            out.storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: sum &>> 2), toByteOffset: x, as: SIMD16<UInt8>.self)
            x &+= 16
        }
        while x < width {
            let sum = UInt16(upper[2 &* x]) &+ UInt16(upper[2 &* x &+ 1]) &+ UInt16(lower[2 &* x]) &+ UInt16(lower[2 &* x &+ 1])
            row[x] = UInt8(truncatingIfNeeded: (sum &+ 2) &>> 2)
            x &+= 1
        }
    }

    /// One output row at any factor, a sample at a time.
    private static func average(
        _ top: UnsafePointer<UInt8>, inputStride: Int, into row: UnsafeMutablePointer<UInt8>, width: Int, factor: Int
    ) {
        let count = factor * factor
        for x in 0..<width {
            var sum = 0
            for dy in 0..<factor {
                let line = top + dy * inputStride + x * factor
                for dx in 0..<factor { sum &+= Int(line[dx]) }
            }
            row[x] = UInt8(truncatingIfNeeded: (sum + count / 2) / count)
        }
    }
}
