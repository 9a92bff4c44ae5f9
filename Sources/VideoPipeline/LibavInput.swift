import CFFmpeg
import Logging

/// An opened libav input (demuxer + decoder) and its buffers. Frees every libav object exactly
/// once, in `deinit`, whichever way the capture ends. Used only on the capture thread.
final class LibavInput {
    private(set) var format: UnsafeMutablePointer<AVFormatContext>?
    private(set) var decoder: UnsafeMutablePointer<AVCodecContext>?
    let packet: UnsafeMutablePointer<AVPacket>
    let frame: UnsafeMutablePointer<AVFrame>
    /// Kept alive as long as the format context can call the interrupt callback.
    private let control: CaptureControl
    private(set) var videoIndex: Int32 = -1

    init(control: CaptureControl) throws {
        self.control = control
        guard let packet = av_packet_alloc() else { throw PipelineError(.resourceExhausted, "av_packet_alloc failed") }
        guard let frame = av_frame_alloc() else {
            var p: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&p)
            throw PipelineError(.resourceExhausted, "av_frame_alloc failed")
        }
        self.packet = packet
        self.frame = frame
    }

    deinit {
        avcodec_free_context(&decoder)
        avformat_close_input(&format)
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
    }

    /// The video stream's time base.
    var timeBase: AVRational { format!.pointee.streams[Int(videoIndex)]!.pointee.time_base }

    /// The video stream's codec parameters.
    var codecParameters: UnsafePointer<AVCodecParameters> {
        UnsafePointer(format!.pointee.streams[Int(videoIndex)]!.pointee.codecpar!)
    }

    /// The video stream's nominal frame duration in seconds (1/25 if unknown).
    var frameDuration: Double {
        let stream = format!.pointee.streams[Int(videoIndex)]!.pointee
        let rate = stream.avg_frame_rate.num > 0 ? stream.avg_frame_rate : stream.r_frame_rate
        return rate.num > 0 && rate.den > 0 ? Double(rate.den) / Double(rate.num) : 1.0 / 25
    }

    /// Opens `url` with the interrupt callback installed first, then finds and opens the decoder.
    /// - Returns: the names of options libav did not consume.
    func open(
        url: String, inputFormat: String?, options: [String: String], decoderThreads: Int, sink: CaptureSink
    ) throws -> [String] {
        guard let context = avformat_alloc_context() else {
            throw PipelineError(.resourceExhausted, "avformat_alloc_context failed")
        }
        context.pointee.interrupt_callback = AVIOInterruptCB(
            callback: { opaque in
                guard let opaque else { return 0 }
                return Unmanaged<CaptureControl>.fromOpaque(opaque).takeUnretainedValue().shouldStop ? 1 : 0
            },
            opaque: Unmanaged.passUnretained(control).toOpaque())
        format = context

        var dictionary: OpaquePointer?
        defer { av_dict_free(&dictionary) }
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            av_dict_set(&dictionary, key, value, 0)
        }
        let input = inputFormat.flatMap { av_find_input_format($0) }
        let rc = avformat_open_input(&format, url, input, &dictionary)
        if rc < 0 {
            throw sink.failure(.openFailed, "cannot open \(url)", rc)
        }
        // Connected and described: the stream-info probe gets a fresh stall timeout.
        control.frameArrived()
        var unused: [String] = []
        var entry: UnsafeMutablePointer<AVDictionaryEntry>?
        while let next = av_dict_get(dictionary, "", entry, AV_DICT_IGNORE_SUFFIX) {
            unused.append(String(cString: next.pointee.key))
            entry = next
        }

        let found = avformat_find_stream_info(format, nil)
        if found < 0 { throw sink.failure(.openFailed, "cannot read stream info of \(url)", found) }
        try sink.checkStop()
        control.frameArrived()
        try openDecoder(url: url, threads: decoderThreads, sink: sink)
        return unused
    }

    private func openDecoder(url: String, threads: Int, sink: CaptureSink) throws {
        guard let format else { return }
        let index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard index >= 0 else { throw PipelineError(.noVideoStream, "\(url) has no video stream") }
        videoIndex = index
        for i in 0..<Int(format.pointee.nb_streams) where i != Int(index) {
            format.pointee.streams[i]!.pointee.discard = AVDISCARD_ALL
        }
        let parameters = format.pointee.streams[Int(index)]!.pointee.codecpar!
        let codecID = parameters.pointee.codec_id
        guard codecID != AV_CODEC_ID_NONE, let codec = avcodec_find_decoder(codecID) else {
            let name = codecID == AV_CODEC_ID_NONE ? "unknown" : String(cString: avcodec_get_name(codecID))
            throw PipelineError(.unsupportedCodec, "\(url): no decoder for video codec '\(name)'")
        }
        guard let context = avcodec_alloc_context3(codec) else {
            throw PipelineError(.resourceExhausted, "avcodec_alloc_context3 failed")
        }
        decoder = context
        try FFmpegCall.check(avcodec_parameters_to_context(context, parameters), .decodeFailed, "decoder parameters")
        context.pointee.thread_count = Int32(threads)
        context.pointee.pkt_timebase = format.pointee.streams[Int(index)]!.pointee.time_base
        let opened = avcodec_open2(context, codec, nil)
        if opened < 0 {
            throw sink.failure(.unsupportedCodec, "cannot open decoder '\(String(cString: codec.pointee.name))'", opened)
        }
    }

    /// Which frames the decoder may leave undecoded.
    enum Skip {
        /// Decode every frame.
        case none
        /// Frames no other frame refers to (H.264 `nal_ref_idc` 0, most B-frames).
        case nonReference
        /// Every frame but keyframes.
        case nonKey

        fileprivate var discard: AVDiscard {
            switch self {
            case .none: AVDISCARD_DEFAULT
            case .nonReference: AVDISCARD_NONREF
            case .nonKey: AVDISCARD_NONKEY
            }
        }
    }

    /// Sets which frames the decoder skips from the next packet sent on.
    func setSkip(_ skip: Skip) {
        decoder?.pointee.skip_frame = skip.discard
    }

    /// Rewinds a file to its start and flushes the decoder (looping).
    func rewind() throws {
        guard let format, let decoder else { return }
        let stream = format.pointee.streams[Int(videoIndex)]!.pointee
        let start = stream.start_time == FFmpegCall.noTimestamp ? 0 : stream.start_time
        try FFmpegCall.check(
            av_seek_frame(format, videoIndex, start, AVSEEK_FLAG_BACKWARD), .readFailed, "cannot rewind for looping")
        avcodec_flush_buffers(decoder)
    }
}
