import CFFmpeg

/// Scales a decoded picture to the output size, in full-range yuv420p, into a frame of its own:
/// the capture thread queues these small frames, never the decoder's pictures.
///
/// Run on the capture thread right after sampling, so a decoded picture is handed back to the
/// decoder's pool at once instead of waiting in the capture queue (the pool grows to the most
/// pictures alive at once and never shrinks; docs/benchmarks.md, "Memory and CPU per camera"). A yuv420p
/// source that is a whole multiple of the output size is averaged down by ``BoxDownscale``; any
/// other goes through swscale's area scaler. The scaler is reused frame after frame and rebuilt
/// only when the input's size or format changes. Owns its `SwsContext` and frees it in
/// `deinit`. Not thread-safe: one per capture run.
final class FrameScaler {
    private let targetWidth: Int?
    private let targetHeight: Int?
    private var scaler: OpaquePointer?
    /// The input geometry the scaler was built for.
    private var inputKey: (Int32, Int32, Int32, UInt32) = (0, 0, -1, 0)
    private var outputWidth: Int32 = 0
    private var outputHeight: Int32 = 0
    /// The scaler keeps the source's limited range; ``RangeExpansion`` makes the scaled picture full range.
    private var expandsRange = false
    /// The whole factor by which a yuv420p source is a multiple of the output size, when it is one:
    /// ``BoxDownscale`` scales it then, not swscale.
    private var boxFactor: Int?

    /// - Parameter configuration: `width` and `height` give the output size (absent: the source's,
    ///   rounded down to even).
    init(configuration: PipelineConfiguration) {
        targetWidth = configuration.width
        targetHeight = configuration.height
    }

    deinit {
        sws_freeContext(scaler)
    }

    /// A new full-range yuv420p frame of the output size holding `frame`'s picture, with its
    /// timestamps (`pts`, `best_effort_timestamp`) copied.
    /// - Throws: ``PipelineError`` `.scaleFailed` when the source is smaller than 2x2 or its pixel
    ///   format cannot be scaled; `.resourceExhausted` when no buffer could be allocated.
    func scale(_ frame: UnsafePointer<AVFrame>) throws -> OwnedFrame {
        let key = (frame.pointee.width, frame.pointee.height, frame.pointee.format, frame.pointee.color_range.rawValue)
        if key != inputKey || (scaler == nil && boxFactor == nil) {
            try rebuild(for: frame)
            inputKey = key
        }
        let output = try OwnedFrame()
        let target = output.pointer
        target.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        target.pointee.width = outputWidth
        target.pointee.height = outputHeight
        target.pointee.color_range = AVCOL_RANGE_JPEG
        target.pointee.pts = frame.pointee.pts
        target.pointee.best_effort_timestamp = frame.pointee.best_effort_timestamp
        try FFmpegCall.check(av_frame_get_buffer(target, 0), .resourceExhausted, "av_frame_get_buffer")
        if let boxFactor {
            let source = UnsafeMutablePointer(mutating: frame)  // read only
            for plane in 0..<3 {
                let luma = plane == 0
                BoxDownscale.plane(
                    from: source.plane(plane)!, inputStride: source.lineSize(plane), to: target.plane(plane)!,
                    outputStride: target.lineSize(plane), width: luma ? Int(outputWidth) : Int(outputWidth) / 2,
                    height: luma ? Int(outputHeight) : Int(outputHeight) / 2, factor: boxFactor)
            }
        } else {
            let rows = sws_scale_frame(scaler, target, frame)
            guard rows > 0 else { throw PipelineError(.scaleFailed, "sws_scale produced no rows") }
        }
        if expandsRange { expandRange(target) }
        return output
    }

    /// (Re)creates the scaler for `frame`'s geometry.
    private func rebuild(for frame: UnsafePointer<AVFrame>) throws {
        sws_freeContext(scaler)
        scaler = nil
        boxFactor = nil
        let width = Int32(targetWidth ?? Int(frame.pointee.width) & ~1)
        let height = Int32(targetHeight ?? Int(frame.pointee.height) & ~1)
        guard width >= 2, height >= 2 else {
            throw PipelineError(
                .scaleFailed, "source frame \(frame.pointee.width)x\(frame.pointee.height) is too small to encode (at least 2x2)")
        }
        let source = AVPixelFormat(rawValue: frame.pointee.format)
        outputWidth = width
        outputHeight = height
        let sourceFull = frame.pointee.color_range == AVCOL_RANGE_JPEG || Self.isFullRange(source)
        if let factor = Self.wholeFactor(
            format: source, from: (Int(frame.pointee.width), Int(frame.pointee.height)), to: (Int(width), Int(height)))
        {
            boxFactor = factor
            expandsRange = !sourceFull
            return
        }
        // Area averaging: a box filter for downscales (upscales are bilinear), cheaper than bicubic
        // (ffmpeg's default); the commit that chose it has the figures.
        scaler = sws_getContext(
            frame.pointee.width, frame.pointee.height, source, width, height, AV_PIX_FMT_YUV420P,
            Int32(SWS_AREA), nil, nil, nil)
        guard let scaler else {
            throw PipelineError(.scaleFailed, "no scaler from pixel format \(String(cString: av_get_pix_fmt_name(source) ?? "?".withCString { $0 }))")
        }
        // Source range: full for yuvj* formats or frames flagged JPEG range, else limited; target full.
        // A limited-range YUV source is scaled as it is and expanded afterwards (``RangeExpansion``):
        // cheaper than swscale's conversion. RGB sources are converted by swscale.
        let isRGB = (av_pix_fmt_desc_get(source)?.pointee.flags ?? 0) & UInt64(AV_PIX_FMT_FLAG_RGB) != 0
        expandsRange = !sourceFull && !isRGB
        let coefficients = sws_getCoefficients(SWS_CS_DEFAULT)
        sws_setColorspaceDetails(scaler, coefficients, sourceFull ? 1 : 0, coefficients, expandsRange ? 0 : 1, 0, 1 << 16, 1 << 16)
    }

    /// The factor `k` when `format` is planar 4:2:0 (`yuv420p`, `yuvj420p`) and the source is exactly
    /// `k` times the (even) output size in both directions, so that the chroma planes are too.
    static func wholeFactor(format: AVPixelFormat, from source: (Int, Int), to output: (Int, Int)) -> Int? {
        guard format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_YUVJ420P,
            output.0 >= 2, output.1 >= 2, output.0 % 2 == 0, output.1 % 2 == 0,
            source.0 % output.0 == 0, source.1 % output.1 == 0, source.0 / output.0 == source.1 / output.1
        else { return nil }
        return source.0 / output.0
    }

    /// Maps the three planes of the scaled yuv420p `frame` to full range.
    private func expandRange(_ frame: UnsafeMutablePointer<AVFrame>) {
        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        for plane in 0..<3 {
            guard let base = frame.plane(plane) else { continue }
            let luma = plane == 0
            RangeExpansion.apply(
                luma ? .luma : .chroma, to: base, width: luma ? width : (width + 1) / 2,
                rows: luma ? height : (height + 1) / 2, stride: frame.lineSize(plane))
        }
    }

    private static func isFullRange(_ format: AVPixelFormat) -> Bool {
        format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P
            || format == AV_PIX_FMT_YUVJ440P || format == AV_PIX_FMT_YUVJ411P
    }
}

