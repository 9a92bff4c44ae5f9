import CFFmpeg

/// A decoded, sampled frame on its way from ``Capture`` to ``Encoder``.
///
/// Holds the decoded picture privately (freed when the last reference goes); only the metadata
/// is public.
public final class CapturedFrame: Sendable {
    /// When the frame was captured, µs since the Unix epoch.
    public let capturedAtMicros: Int64
    /// The source timestamp, seconds (monotonic across file loops).
    public let sourceTime: Double
    /// Decoded width in pixels.
    public let width: Int
    /// Decoded height in pixels.
    public let height: Int
    let picture: OwnedFrame

    /// The bytes of the picture's buffers (what holding this frame keeps allocated; for a decoded
    /// frame, buffers of the decoder's pool, which grows to the most frames held at once).
    public let byteCount: Int

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
public struct EncodedFrame: Sendable, Hashable {
    /// The JPEG file (starts FF D8, ends FF D9).
    public var jpeg: [UInt8]
    /// The per-camera frame number from the camera's ``FrameSequence``.
    public var seq: Int64
    /// JPEG width in pixels.
    public var width: Int
    /// JPEG height in pixels.
    public var height: Int
    /// Capture time, µs since the Unix epoch.
    public var capturedAtMicros: Int64

    /// Creates an encoded frame.
    public init(jpeg: [UInt8], seq: Int64, width: Int, height: Int, capturedAtMicros: Int64) {
        self.jpeg = jpeg
        self.seq = seq
        self.width = width
        self.height = height
        self.capturedAtMicros = capturedAtMicros
    }
}

/// Owns one `AVFrame` and frees it exactly once.
///
/// `@unchecked Sendable`: the frame is written only by the thread that creates it, before the
/// owner is handed through a ``FrameQueue``; afterwards it is only read (by one encoder).
final class OwnedFrame: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVFrame>

    /// Allocates an empty frame.
    init() throws {
        guard let frame = av_frame_alloc() else {
            throw PipelineError(.resourceExhausted, "av_frame_alloc failed")
        }
        pointer = frame
    }

    /// Takes a new reference to `source`'s buffers (no pixel copy).
    convenience init(referencing source: UnsafePointer<AVFrame>) throws {
        try self.init()
        try FFmpegCall.check(av_frame_ref(pointer, source), .resourceExhausted, "av_frame_ref")
    }

    /// Copies `source`'s pixels into buffers of its own, for a frame whose memory belongs to
    /// the input (V4L2's mmap'd driver buffers) and ends when the input closes.
    convenience init(copying source: UnsafePointer<AVFrame>) throws {
        try self.init()
        pointer.pointee.format = source.pointee.format
        pointer.pointee.width = source.pointee.width
        pointer.pointee.height = source.pointee.height
        try FFmpegCall.check(av_frame_get_buffer(pointer, 0), .resourceExhausted, "av_frame_get_buffer")
        try FFmpegCall.check(av_frame_copy(pointer, source), .resourceExhausted, "av_frame_copy")
        try FFmpegCall.check(av_frame_copy_props(pointer, source), .resourceExhausted, "av_frame_copy_props")
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
