/// The parts of a JPEG file the tests check: SOI/EOI markers and the SOF frame size.
struct JPEGInfo: Equatable {
    var width: Int
    var height: Int

    /// Parses `bytes`; `nil` unless it starts with FF D8, ends with FF D9 and has a SOF0..SOF3 marker.
    init?(_ bytes: [UInt8]) {
        guard bytes.count > 4, bytes[0] == 0xFF, bytes[1] == 0xD8,
            bytes[bytes.count - 2] == 0xFF, bytes[bytes.count - 1] == 0xD9
        else { return nil }
        var i = 2
        while i + 9 < bytes.count {
            guard bytes[i] == 0xFF else { return nil }
            let marker = bytes[i + 1]
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if (0xC0...0xC3).contains(marker) {
                height = Int(bytes[i + 5]) << 8 | Int(bytes[i + 6])
                width = Int(bytes[i + 7]) << 8 | Int(bytes[i + 8])
                return
            }
            i += 2 + length
        }
        return nil
    }
}
