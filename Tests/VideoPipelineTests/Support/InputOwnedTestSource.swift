import CFFmpeg
import Foundation

@testable import VideoPipeline

/// A source whose frames point into memory it owns and releases when it closes, as
/// libavdevice's v4l2 input does with the driver's buffers: it emits `count` grey yuv420p
/// frames from one buffer, then closes, overwriting the buffer with `poison` and freeing it.
/// A queued frame that still pointed there would read freed memory (AddressSanitizer reports
/// it; without ASan it reads `poison`).
struct InputOwnedTestSource {
    var width = 64
    var height = 48
    var count = 3
    /// The luma value of every emitted frame.
    static let luma: UInt8 = 0x42
    /// What the buffer holds once the source has closed.
    static let poison: UInt8 = 0xEE

    func run(_ sink: inout CaptureSink) throws {
        let lumaSize = width * height
        let size = lumaSize + 2 * (lumaSize / 4)
        guard let memory = malloc(size)?.assumingMemoryBound(to: UInt8.self) else {
            throw PipelineError(.resourceExhausted, "malloc failed")
        }
        defer {
            memset(memory, Int32(Self.poison), size)
            free(memory)
        }
        memset(memory, Int32(Self.luma), lumaSize)
        memset(memory + lumaSize, 128, size - lumaSize)
        let frame = try OwnedFrame()
        // Reference counted, like v4l2's, but the release callback does not free: the input does.
        guard let buffer = av_buffer_create(memory, size, { _, _ in }, nil, 0) else {
            throw PipelineError(.resourceExhausted, "av_buffer_create failed")
        }
        let f = frame.pointer
        f.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        f.pointee.width = Int32(width)
        f.pointee.height = Int32(height)
        f.pointee.buf.0 = buffer
        f.pointee.data.0 = memory
        f.pointee.data.1 = memory + lumaSize
        f.pointee.data.2 = memory + lumaSize + lumaSize / 4
        f.pointee.linesize.0 = Int32(width)
        f.pointee.linesize.1 = Int32(width / 2)
        f.pointee.linesize.2 = Int32(width / 2)
        for index in 0..<count {
            try sink.offer(f, time: Double(index) / sink.configuration.fps)
        }
    }
}
