import CFFmpeg
import Testing
@testable import VideoPipeline

/// What a consumer of our JPEGs sees, pinned so that a change of encoder cannot change it unnoticed
/// (issue 20): a baseline JPEG, 8 bits, components 1, 2, 3 sampled 2x2, 1x1, 1x1 (4:2:0) at the
/// picture's size, its tables before the scan, and no APPn marker (no JFIF, no Adobe transform
/// flag), so decoders read it as full-range BT.601 YCbCr.
@Suite("JPEG markers")
struct JPEGMarkerTests {
    @Test(.timeLimit(.minutes(1)), arguments: [(320, 180), (1280, 720), (2, 2)])
    func aFrameIsABaselineFourTwoZeroJPEGWithItsTablesAndNoAPPMarker(width: Int, height: Int) throws {
        let frame = try gradient(width: width, height: height)
        let jpeg = try JPEGSession(configuration: PipelineConfiguration(url: "testsrc:", fps: 5)).encode(frame.pointer).bytes
        let segments = try #require(JPEGSegments(jpeg), "not a whole JPEG")
        let markers = segments.markers
        #expect(markers.first == 0xD8 && markers.last == 0xD9, "SOI first, EOI last: \(markers)")
        #expect(markers.filter { (0xE0...0xEF).contains($0) }.isEmpty, "no APPn: \(markers)")
        let scan = try #require(markers.firstIndex(of: 0xDA))
        #expect(markers[..<scan].contains(0xDB) && markers[..<scan].contains(0xC4), "DQT and DHT before SOS: \(markers)")
        #expect(markers.filter { (0xC1...0xCF).contains($0) && $0 != 0xC4 && $0 != 0xC8 && $0 != 0xCC }.isEmpty, "SOF0 only")
        let sof = try #require(segments.payload(of: 0xC0))
        #expect(sof[0] == 8, "8-bit samples")
        #expect(Int(sof[1]) << 8 | Int(sof[2]) == height && Int(sof[3]) << 8 | Int(sof[4]) == width)
        // Components: id, sampling (horizontal << 4 | vertical), table.
        #expect(sof.count == 15 && sof[5] == 3)
        #expect([sof[6], sof[7], sof[9], sof[10], sof[12], sof[13]] == [1, 0x22, 2, 0x11, 3, 0x11])
    }

    @Test(.timeLimit(.minutes(2)), arguments: [(1, 1), (3, 5), (17, 9), (7680, 4320)])
    func hostileSizesGiveAJPEGOfThatSize(width: Int, height: Int) throws {
        // The capture makes only even sizes of 2x2 and more (FrameScaler, HostileInputTests); the
        // encoder itself takes any yuv420p picture up to 8K and more.
        let frame = try gradient(width: width, height: height)
        let jpeg = try JPEGSession(configuration: PipelineConfiguration(url: "testsrc:", fps: 5)).encode(frame.pointer)
        #expect(jpeg.width == width && jpeg.height == height)
        #expect(JPEGInfo(jpeg.bytes).map { [$0.width, $0.height] } == [width, height])
    }

    @Test func aPictureInAnotherPixelFormatIsRefusedClearly() throws {
        let frame = try gradient(width: 16, height: 16, format: AV_PIX_FMT_YUV444P)
        let session = try JPEGSession(configuration: PipelineConfiguration(url: "testsrc:", fps: 5))
        let error = try #require(throws: PipelineError.self) { try session.encode(frame.pointer) }
        #expect(error.code == .encodeFailed && error.message.contains("yuv420p"), "\(error)")
    }

    /// A full-range picture of `width` x `height` in `format`: a diagonal luma ramp, chroma ramps.
    private func gradient(width: Int, height: Int, format: AVPixelFormat = AV_PIX_FMT_YUV420P) throws -> OwnedFrame {
        let frame = try OwnedFrame()
        let pointer = frame.pointer
        pointer.pointee.format = format.rawValue
        pointer.pointee.width = Int32(width)
        pointer.pointee.height = Int32(height)
        pointer.pointee.color_range = AVCOL_RANGE_JPEG
        #expect(av_frame_get_buffer(pointer, 0) >= 0)
        let chroma = format == AV_PIX_FMT_YUV420P ? ((width + 1) / 2, (height + 1) / 2) : (width, height)
        for plane in 0..<3 {
            let (w, h) = plane == 0 ? (width, height) : chroma
            for y in 0..<h {
                let row = pointer.plane(plane)! + y * pointer.lineSize(plane)
                for x in 0..<w { row[x] = UInt8(truncatingIfNeeded: plane == 0 ? x + y : plane == 1 ? x * 3 : y * 3) }
            }
        }
        return frame
    }
}

/// The marker segments of a JPEG up to its scan, and the EOI after it.
struct JPEGSegments {
    /// Each marker's second byte in order (D8 SOI, ..., DA SOS, D9 EOI) and its payload (without the length).
    let segments: [(marker: UInt8, payload: ArraySlice<UInt8>)]

    /// The markers in order.
    var markers: [UInt8] { segments.map(\.marker) }

    /// The payload of the first `marker` segment, indexed from 0.
    func payload(of marker: UInt8) -> [UInt8]? {
        segments.first { $0.marker == marker }.map { Array($0.payload) }
    }

    /// Parses `bytes`; `nil` unless it starts with SOI, reaches SOS through well-formed segments and ends with EOI.
    init?(_ bytes: [UInt8]) {
        guard bytes.count > 4, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[bytes.count - 2] == 0xFF, bytes[bytes.count - 1] == 0xD9
        else { return nil }
        var segments: [(UInt8, ArraySlice<UInt8>)] = [(0xD8, [])]
        var i = 2
        while true {
            guard i + 4 <= bytes.count, bytes[i] == 0xFF else { return nil }
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2, i + 2 + length <= bytes.count else { return nil }
            segments.append((bytes[i + 1], bytes[(i + 4)..<(i + 2 + length)]))
            if bytes[i + 1] == 0xDA { break }
            i += 2 + length
        }
        segments.append((0xD9, []))
        self.segments = segments
    }
}
