import CFFmpeg

/// The mjpeg encoder of one ``Encoder`` run, reused frame after frame. Owns its libav objects
/// and frees each exactly once in `deinit`.
///
/// It encodes what ``FrameScaler`` made on the capture thread (full-range yuv420p at the output
/// size): there is no second scaling pass here.
final class JPEGSession {
    private let quality: Int32
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private let packet: UnsafeMutablePointer<AVPacket>
    /// The picture size the encoder was opened for.
    private var size: (Int32, Int32) = (0, 0)

    init(configuration: PipelineConfiguration) throws {
        quality = Int32(configuration.quality)
        guard let packet = av_packet_alloc() else { throw PipelineError(.resourceExhausted, "av_packet_alloc failed") }
        self.packet = packet
    }

    deinit {
        avcodec_free_context(&encoder)
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
    }

    /// Encodes `frame`, a full-range yuv420p picture (``FrameScaler``'s output); sets its
    /// `quality` to the configured one.
    /// - Throws: ``PipelineError`` `.encodeFailed` for another pixel format or a failed encode.
    func encode(_ frame: UnsafeMutablePointer<AVFrame>) throws -> (bytes: [UInt8], width: Int, height: Int) {
        guard frame.pointee.format == AV_PIX_FMT_YUV420P.rawValue else {
            throw PipelineError(.encodeFailed, "the encoder takes yuv420p pictures, not pixel format \(frame.pointee.format)")
        }
        let key = (frame.pointee.width, frame.pointee.height)
        if key != size || encoder == nil {
            try rebuild(width: key.0, height: key.1)
            size = key
        }
        guard let encoder else { throw PipelineError(.encodeFailed, "encoder not ready") }
        frame.pointee.quality = encoder.pointee.global_quality
        try FFmpegCall.check(avcodec_send_frame(encoder, frame), .encodeFailed, "avcodec_send_frame (mjpeg)")
        try FFmpegCall.check(avcodec_receive_packet(encoder, packet), .encodeFailed, "avcodec_receive_packet (mjpeg)")
        defer { av_packet_unref(packet) }
        let bytes = [UInt8](UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size)))
        return (bytes, Int(encoder.pointee.width), Int(encoder.pointee.height))
    }

    /// (Re)opens the encoder for pictures of `width` x `height`.
    private func rebuild(width: Int32, height: Int32) throws {
        avcodec_free_context(&encoder)
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG), let context = avcodec_alloc_context3(codec) else {
            throw PipelineError(.encodeFailed, "mjpeg encoder not available")
        }
        encoder = context
        context.pointee.width = width
        context.pointee.height = height
        context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        context.pointee.color_range = AVCOL_RANGE_JPEG
        context.pointee.time_base = AVRational(num: 1, den: 1000)
        context.pointee.flags |= Int32(AV_CODEC_FLAG_QSCALE)
        context.pointee.global_quality = Int32(FF_QP2LAMBDA) * quality
        context.pointee.thread_count = 1
        try FFmpegCall.check(avcodec_open2(context, codec, nil), .encodeFailed, "cannot open the mjpeg encoder")
    }
}
