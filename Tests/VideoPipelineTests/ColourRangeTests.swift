import CFFmpeg
import Testing

@testable import VideoPipeline

/// JPEG (JFIF) is full range: a limited-range source (broadcast H.264, 16...235) must come out
/// with black at 0 and white at 255, and a full-range source must pass through unchanged.
@Suite("Colour range of encoded JPEGs")
struct ColourRangeTests {
    @Test(.timeLimit(.minutes(1)), arguments: [AVCOL_RANGE_MPEG, AVCOL_RANGE_UNSPECIFIED])
    func limitedRangeSourceIsExpandedToFullRange(range: AVColorRange) throws {
        // Three horizontal bands of a 640x360 frame: black, mid grey and white in limited range.
        let luma = try encodeAndDecodeLuma(bands: [16, 126, 235], format: AV_PIX_FMT_YUV420P, range: range)
        #expect(abs(luma[0] - 0) <= 2, "black: \(luma)")
        #expect(abs(luma[1] - 128) <= 2, "grey: \(luma)")
        #expect(abs(luma[2] - 255) <= 2, "white: \(luma)")
    }

    @Test(.timeLimit(.minutes(1)), arguments: [AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV420P])
    func fullRangeSourceKeepsItsLevels(format: AVPixelFormat) throws {
        let luma = try encodeAndDecodeLuma(bands: [0, 126, 255], format: format, range: AVCOL_RANGE_JPEG)
        #expect(abs(luma[0] - 0) <= 2, "black: \(luma)")
        #expect(abs(luma[1] - 126) <= 2, "grey: \(luma)")
        #expect(abs(luma[2] - 255) <= 2, "white: \(luma)")
    }
}

/// Scales a 640x360 frame of horizontal luma bands (neutral chroma) to 320x180 with
/// ``FrameScaler``, as the capture thread does, encodes it with ``JPEGSession``, decodes the JPEG with libav's mjpeg decoder and returns the mean luma of the
/// middle rows of each band.
private func encodeAndDecodeLuma(bands: [UInt8], format: AVPixelFormat, range: AVColorRange) throws -> [Int] {
    let source = try OwnedFrame()
    let frame = source.pointer
    frame.pointee.format = format.rawValue
    frame.pointee.width = 640
    frame.pointee.height = 360
    frame.pointee.color_range = range
    #expect(av_frame_get_buffer(frame, 0) >= 0)
    let bandHeight = 360 / bands.count
    for y in 0..<360 {
        let row = frame.plane(0)! + y * frame.lineSize(0)
        row.update(repeating: bands[min(y / bandHeight, bands.count - 1)], count: 640)
    }
    for plane in 1...2 {
        for y in 0..<180 { (frame.plane(plane)! + y * frame.lineSize(plane)).update(repeating: 128, count: 320) }
    }
    let configuration = PipelineConfiguration(url: "testsrc:", fps: 5, width: 320, height: 180, quality: 2)
    let scaled = try withExtendedLifetime(source) { try FrameScaler(configuration: configuration).scale(frame) }
    let jpeg = try withExtendedLifetime(scaled) { try JPEGSession(configuration: configuration).encode(scaled.pointer).bytes }

    let decoder = avcodec_alloc_context3(avcodec_find_decoder(AV_CODEC_ID_MJPEG))
    var context = decoder
    defer { avcodec_free_context(&context) }
    #expect(avcodec_open2(decoder, nil, nil) >= 0)
    var packet = av_packet_alloc()
    defer { av_packet_free(&packet) }
    var decoded = av_frame_alloc()
    defer { av_frame_free(&decoded) }
    #expect(av_new_packet(packet, Int32(jpeg.count)) >= 0)
    jpeg.withUnsafeBufferPointer { packet!.pointee.data.update(from: $0.baseAddress!, count: jpeg.count) }
    #expect(avcodec_send_packet(decoder, packet) >= 0)
    #expect(avcodec_receive_frame(decoder, decoded) >= 0)
    let out = decoded!
    #expect(out.pointee.width == 320 && out.pointee.height == 180)
    let outBand = 180 / bands.count
    return (0..<bands.count).map { band in
        let y = band * outBand + outBand / 2
        let row = out.plane(0)! + y * out.lineSize(0)
        return (0..<320).reduce(0) { $0 + Int(row[$1]) } / 320
    }
}
