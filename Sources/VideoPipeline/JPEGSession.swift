import CFFmpeg

/// The scaler and mjpeg encoder of one ``Encoder`` run, reused frame after frame. Owns its
/// libav objects and frees each exactly once in `deinit`.
final class JPEGSession {
    private let quality: Int32
    private let targetWidth: Int?
    private let targetHeight: Int?
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var scaler: OpaquePointer?
    private var scaled: UnsafeMutablePointer<AVFrame>?
    private let packet: UnsafeMutablePointer<AVPacket>
    /// The input geometry the scaler and encoder were built for.
    private var inputKey: (Int32, Int32, Int32) = (0, 0, -1)
    /// The scaler keeps the source's limited range; ``RangeExpansion`` makes the scaled picture full range.
    private var expandsRange = false

    init(configuration: PipelineConfiguration) throws {
        quality = Int32(configuration.quality)
        targetWidth = configuration.width
        targetHeight = configuration.height
        guard let packet = av_packet_alloc() else { throw PipelineError(.resourceExhausted, "av_packet_alloc failed") }
        self.packet = packet
    }

    deinit {
        avcodec_free_context(&encoder)
        sws_freeContext(scaler)
        av_frame_free(&scaled)
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
    }

    /// Scales `frame` to the target size in full-range yuv420p and encodes it.
    func encode(_ frame: UnsafeMutablePointer<AVFrame>) throws -> (bytes: [UInt8], width: Int, height: Int) {
        let key = (frame.pointee.width, frame.pointee.height, frame.pointee.format)
        if key != inputKey || encoder == nil {
            try rebuild(for: frame)
            inputKey = key
        }
        guard let encoder, let scaled else { throw PipelineError(.encodeFailed, "encoder not ready") }
        try FFmpegCall.check(av_frame_make_writable(scaled), .resourceExhausted, "av_frame_make_writable")
        let height = sws_scale_frame(scaler, scaled, frame)
        guard height > 0 else { throw PipelineError(.scaleFailed, "sws_scale produced no rows") }
        if expandsRange { expandRange(scaled) }
        scaled.pointee.quality = encoder.pointee.global_quality
        scaled.pointee.pts = frame.pointee.pts
        try FFmpegCall.check(avcodec_send_frame(encoder, scaled), .encodeFailed, "avcodec_send_frame (mjpeg)")
        try FFmpegCall.check(avcodec_receive_packet(encoder, packet), .encodeFailed, "avcodec_receive_packet (mjpeg)")
        defer { av_packet_unref(packet) }
        let bytes = [UInt8](UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size)))
        return (bytes, Int(encoder.pointee.width), Int(encoder.pointee.height))
    }

    /// (Re)creates the scaler, the target frame and the encoder for `frame`'s geometry.
    private func rebuild(for frame: UnsafeMutablePointer<AVFrame>) throws {
        avcodec_free_context(&encoder)
        sws_freeContext(scaler)
        scaler = nil
        av_frame_free(&scaled)
        let width = Int32(targetWidth ?? Int(frame.pointee.width) & ~1)
        let height = Int32(targetHeight ?? Int(frame.pointee.height) & ~1)
        guard width >= 2, height >= 2 else {
            throw PipelineError(
                .scaleFailed, "source frame \(frame.pointee.width)x\(frame.pointee.height) is too small to encode (at least 2x2)")
        }

        let source = AVPixelFormat(rawValue: frame.pointee.format)
        // Area averaging: a box filter for downscales (upscales are bilinear), cheaper than bicubic
        // (ffmpeg's default); README.md's fleet section has the figures.
        scaler = sws_getContext(
            frame.pointee.width, frame.pointee.height, source, width, height, AV_PIX_FMT_YUV420P,
            Int32(SWS_AREA), nil, nil, nil)
        guard let scaler else {
            throw PipelineError(.scaleFailed, "no scaler from pixel format \(String(cString: av_get_pix_fmt_name(source) ?? "?".withCString { $0 }))")
        }
        // Source range: full for yuvj* formats or frames flagged JPEG range, else limited; target full.
        // A limited-range YUV source is scaled as it is and expanded afterwards (``RangeExpansion``):
        // cheaper than swscale's conversion. RGB sources are converted by swscale.
        let sourceFull: Int32 = frame.pointee.color_range == AVCOL_RANGE_JPEG || Self.isFullRange(source) ? 1 : 0
        let isRGB = (av_pix_fmt_desc_get(source)?.pointee.flags ?? 0) & UInt64(AV_PIX_FMT_FLAG_RGB) != 0
        expandsRange = sourceFull == 0 && !isRGB
        let coefficients = sws_getCoefficients(SWS_CS_DEFAULT)
        sws_setColorspaceDetails(scaler, coefficients, sourceFull, coefficients, expandsRange ? 0 : 1, 0, 1 << 16, 1 << 16)

        guard let target = av_frame_alloc() else { throw PipelineError(.resourceExhausted, "av_frame_alloc failed") }
        scaled = target
        target.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        target.pointee.width = width
        target.pointee.height = height
        target.pointee.color_range = AVCOL_RANGE_JPEG
        try FFmpegCall.check(av_frame_get_buffer(target, 0), .resourceExhausted, "av_frame_get_buffer")

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

    /// Maps the three planes of the scaled yuv420p `frame` to full range.
    private func expandRange(_ frame: UnsafeMutablePointer<AVFrame>) {
        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        for plane in 0..<3 {
            guard let base = frame.plane(plane) else { continue }
            let luma = plane == 0
            RangeExpansion.apply(
                luma ? RangeExpansion.luma : RangeExpansion.chroma, to: base, width: luma ? width : (width + 1) / 2,
                rows: luma ? height : (height + 1) / 2, stride: frame.lineSize(plane))
        }
    }

    private static func isFullRange(_ format: AVPixelFormat) -> Bool {
        format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P
            || format == AV_PIX_FMT_YUVJ440P || format == AV_PIX_FMT_YUVJ411P
    }
}
