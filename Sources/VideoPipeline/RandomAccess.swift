import CFFmpeg

/// Tells, from a packet's bytes, whether it begins a coded video sequence anew: an H.264 or HEVC
/// IDR picture, which no later picture looks past. The pictures before one are not needed to
/// decode anything after it.
///
/// Keyframe flags do not say as much: an open-GOP stream flags I-pictures that later pictures may
/// still refer past. Packets are scanned as the stream carries them, with start codes (RTSP,
/// MPEG-TS) or with length prefixes (MP4, Matroska: `avcC` or `hvcC` in the stream's extradata).
struct RandomAccess: Sendable, Hashable {
    enum Codec: Sendable, Hashable {
        case h264, hevc
    }

    let codec: Codec
    /// Bytes of each NAL unit's length prefix; `nil` for start codes.
    let lengthSize: Int?

    init(codec: Codec, lengthSize: Int?) {
        self.codec = codec
        self.lengthSize = lengthSize
    }

    /// The scanner for the stream `parameters` describes; `nil` for a codec it does not know.
    init?(_ parameters: UnsafePointer<AVCodecParameters>) {
        let codec: Codec
        switch parameters.pointee.codec_id {
        case AV_CODEC_ID_H264: codec = .h264
        case AV_CODEC_ID_HEVC: codec = .hevc
        default: return nil
        }
        let extradata = parameters.pointee.extradata
        let size = extradata == nil ? 0 : Int(max(0, parameters.pointee.extradata_size))
        self.init(codec: codec, extradata: UnsafeRawBufferPointer(start: extradata, count: size))
    }

    /// The scanner for `codec`, its framing read from the decoder configuration record in
    /// `extradata` (version 1 first); start codes otherwise. `nil` for a record too short to say.
    init?(codec: Codec, extradata: UnsafeRawBufferPointer) {
        self.codec = codec
        guard let version = extradata.first, version == 1 else {
            lengthSize = nil
            return
        }
        // The length size minus one is in the low two bits of byte 4 (avcC) or byte 21 (hvcC).
        let offset = codec == .h264 ? 4 : 21
        guard extradata.count > offset else { return nil }
        lengthSize = Int(extradata[offset] & 3) + 1
    }

    /// Whether `packet`'s first picture is an IDR picture. Bytes it cannot parse (truncated,
    /// corrupt) give `false`: the pictures before are then kept.
    func beginsSequence(_ packet: UnsafeRawBufferPointer) -> Bool {
        var found: Bool?
        if let lengthSize {
            var at = 0
            while found == nil, at + lengthSize < packet.count {
                var length = 0
                for byte in packet[at..<at + lengthSize] { length = length << 8 | Int(byte) }
                at += lengthSize
                guard length > 0, length <= packet.count - at else { return false }
                found = picture(header: packet[at])
                at += length
            }
        } else {
            // A start code is 00 00 01 (a fourth, leading zero belongs to the previous unit).
            var at = 0
            while found == nil, at + 3 < packet.count {
                if packet[at + 2] > 1 {
                    at += 3
                } else if packet[at] == 0, packet[at + 1] == 0, packet[at + 2] == 1 {
                    found = picture(header: packet[at + 3])
                    at += 3
                } else {
                    at += 1
                }
            }
        }
        return found ?? false
    }

    /// For a NAL unit whose header begins with `header`: `nil` if it carries no picture, else
    /// whether the picture is an IDR one.
    private func picture(header: UInt8) -> Bool? {
        switch codec {
        case .h264:
            // Types 1-5 are coded slices; 5 is an IDR picture's.
            let type = header & 0x1F
            return (1...5).contains(type) ? type == 5 : nil
        case .hevc:
            // Types 0-31 are coded slices; 19 and 20 are IDR pictures' (with and without leading
            // pictures, which then refer only to the IDR picture and after).
            let type = (header >> 1) & 0x3F
            return type < 32 ? (type == 19 || type == 20) : nil
        }
    }
}
