/// Expands limited-range ("TV", 16...235 luma, 16...240 chroma) 8-bit YUV samples to full range
/// (0...255), which JPEG (JFIF) requires, through two 256-entry tables.
///
/// ``FrameScaler`` scales a limited-range source without swscale's range conversion and applies
/// this to the smaller, scaled picture instead: swscale 5.1 converts the range on every source
/// line in plain C, which cost more than the whole scale at 640×360 → 320×180 (bench/fleet/run.py;
/// the commit that added this has the figures). Values outside the
/// limited range are clamped to 0 and 255.
enum RangeExpansion {
    /// Luma: `(y - 16) * 255 / 219`, rounded, clamped.
    static let luma: [UInt8] = (0..<256).map { (value: Int) -> UInt8 in
        let scaled = ((value - 16) * 255 + 109) / 219
        return UInt8(clamping: max(0, scaled))
    }

    /// Chroma: `(c - 128) * 255 / 224 + 128`, rounded half away from 128, clamped.
    static let chroma: [UInt8] = (0..<256).map { (value: Int) -> UInt8 in
        let centred = (value - 128) * 255
        let rounded = (centred + (centred >= 0 ? 112 : -112)) / 224 + 128
        return UInt8(clamping: max(0, rounded))
    }

    /// Maps `rows` rows of `width` samples, `stride` bytes apart from `base`, through `table`.
    static func apply(_ table: [UInt8], to base: UnsafeMutablePointer<UInt8>, width: Int, rows: Int, stride: Int) {
        table.withUnsafeBufferPointer { table in
            for y in 0..<rows {
                let row = base + y * stride
                for x in 0..<width { row[x] = table[Int(row[x])] }
            }
        }
    }
}
