import CFFmpeg

/// A sampled frame on its way from ``Capture`` to ``Encoder``, already scaled to the output size
/// (full-range yuv420p, ``FrameScaler``).
///
/// Holds its picture privately, in buffers of its own (freed when the last reference goes, never
/// the decoder's); only the metadata is public.
package final class CapturedFrame: Sendable {
    /// When the frame was captured, µs since the Unix epoch.
    package let capturedAtMicros: Int64
    /// The source timestamp, seconds (monotonic across file loops).
    package let sourceTime: Double
    /// Width in pixels: the output size (the configured `width`, else the source's rounded down to even).
    package let width: Int
    /// Height in pixels: the output size (the configured `height`, else the source's rounded down to even).
    package let height: Int
    let picture: OwnedFrame

    /// The bytes of the picture's buffers (what holding this frame keeps allocated): about
    /// 1.6 bytes a pixel of the output size with libav's padding, 90 KiB at 320x180.
    package let byteCount: Int

    init(picture: OwnedFrame, capturedAtMicros: Int64, sourceTime: Double) {
        self.picture = picture
        self.byteCount = picture.pointer.bufferBytes
        self.capturedAtMicros = capturedAtMicros
        self.sourceTime = sourceTime
        self.width = Int(picture.pointer.pointee.width)
        self.height = Int(picture.pointer.pointee.height)
    }
}

/// One JPEG produced by ``Encoder``.
package struct EncodedFrame: Sendable, Hashable {
    /// The JPEG file (starts FF D8, ends FF D9).
    package var jpeg: [UInt8]
    /// The per-camera frame number from the camera's ``FrameSequence``.
    package var seq: Int64
    /// JPEG width in pixels.
    package var width: Int
    /// JPEG height in pixels.
    package var height: Int
    /// Capture time, µs since the Unix epoch.
    package var capturedAtMicros: Int64

    /// Creates an encoded frame.
    package init(jpeg: [UInt8], seq: Int64, width: Int, height: Int, capturedAtMicros: Int64) {
        self.jpeg = jpeg
        self.seq = seq
        self.width = width
        self.height = height
        self.capturedAtMicros = capturedAtMicros
    }
}

/// Owns one `AVFrame` and frees it exactly once.
///
/// `@unchecked Sendable`: the frame is written by the thread that creates it before the owner is
/// handed through a ``FrameQueue``, and afterwards only by the one encoder that took it.
final class OwnedFrame: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVFrame>

    /// Allocates an empty frame.
    init() throws {
        guard let frame = av_frame_alloc() else {
            throw PipelineError(.resourceExhausted, "av_frame_alloc failed")
        }
        pointer = frame
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }
}

extension UnsafeMutablePointer<AVFrame> {
    /// `data[index]` (C arrays import as tuples).
    func plane(_ index: Int) -> UnsafeMutablePointer<UInt8>? {
        withUnsafeBytes(of: pointee.data) { $0.load(fromByteOffset: index * MemoryLayout<UnsafeMutablePointer<UInt8>?>.stride, as: UnsafeMutablePointer<UInt8>?.self) }
    }

    /// The sizes of the buffers behind the frame's planes, summed.
    var bufferBytes: Int {
        withUnsafeBytes(of: pointee.buf) { raw in
            raw.bindMemory(to: UnsafeMutablePointer<AVBufferRef>?.self).reduce(0) { $0 + Int($1?.pointee.size ?? 0) }
        }
    }

    /// `linesize[index]` in bytes.
    func lineSize(_ index: Int) -> Int {
        Int(withUnsafeBytes(of: pointee.linesize) { $0.load(fromByteOffset: index * 4, as: Int32.self) })
    }
}
