import CFFmpeg

/// Packets held back from the decoder, in the order read: frames the sampler will not take, at the
/// end of a GOP, or all but the keyframes in keyframe mode. If an IDR picture (in keyframe mode,
/// any keyframe) comes next, nothing needs them and they are dropped undecoded; if a frame that
/// may be taken comes first, they are handed back to be decoded before it.
///
/// Owns its packets: whatever is still held when it goes is freed, however the capture ends.
struct DeferredPackets: ~Copyable {
    /// How many packets, and how many of their bytes, may be held.
    static let limit = (packets: 512, bytes: 8 << 20)

    private var packets: [UnsafeMutablePointer<AVPacket>] = []
    private var bytes = 0

    init() {}

    deinit {
        Self.free(packets)
    }

    var isEmpty: Bool { packets.isEmpty }

    /// Whether another packet may be held.
    var hasRoom: Bool { packets.count < Self.limit.packets && bytes < Self.limit.bytes }

    /// Takes over `packet`'s data, leaving it blank.
    mutating func hold(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        guard let held = av_packet_alloc() else { throw PipelineError(.resourceExhausted, "av_packet_alloc failed") }
        av_packet_move_ref(held, packet)
        packets.append(held)
        bytes += Int(max(0, held.pointee.size))
    }

    /// Drops every held packet undecoded.
    mutating func drop() {
        Self.free(packets)
        packets.removeAll(keepingCapacity: true)
        bytes = 0
    }

    /// Hands each held packet to `body`, oldest first, then lets it go, whether `body` returns or
    /// throws.
    mutating func release(through body: (UnsafeMutablePointer<AVPacket>) throws -> Void) rethrows {
        defer { drop() }
        for packet in packets { try body(packet) }
    }

    /// Frees the packets and their data.
    private static func free(_ packets: [UnsafeMutablePointer<AVPacket>]) {
        for packet in packets {
            var owned: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&owned)
        }
    }
}
