import CFFmpeg
import Durations
import Logging

/// Reads, decodes and samples a libav-backed source (RTSP, HTTP, file, V4L2) on the capture thread.
struct LibavSource {
    let kind: SourceKind
    let logger: Logger

    /// Runs until the source ends (a non-looping file), a stop is requested, or an error.
    func run(_ sink: inout CaptureSink) throws {
        let configuration = sink.configuration
        // libavdevice's v4l2 packets (and the rawvideo frames decoded from them without a copy)
        // point into the driver's mmap'd buffers, unmapped when the input closes: the sink queues
        // scaled frames of their own, never those.
        let (input, unused) = try open(sink)
        if !unused.isEmpty {
            logger.warning(
                "unused source options", metadata: ["url": "\(configuration.redactedURL)", "options": "\(unused.joined(separator: ","))"])
        }
        try loop(input, &sink)
    }

    /// Opens the source with the capture's options, the interrupt callback of `sink`'s control
    /// installed first; the one open path of capture and of ``SourceProbe``.
    /// - Returns: the input, and the names of the options libav did not use.
    func open(_ sink: CaptureSink) throws -> (input: LibavInput, unused: [String]) {
        let configuration = sink.configuration
        let input = try LibavInput(control: sink.control)
        if case .v4l2 = kind, let error = CFFmpeg_load_avdevice() {
            throw PipelineError(.openFailed, "V4L2 needs libavdevice (Debian: libavdevice59): \(String(cString: error))")
        }
        let unused = try input.open(
            url: openURL, inputFormat: inputFormat, options: options(configuration),
            decoderThreads: configuration.decoderThreads, sink: sink)
        return (input, unused)
    }

    private var isFile: Bool { if case .file = kind { true } else { false } }

    private var openURL: String {
        switch kind {
        case .rtsp(let url), .http(let url): url
        case .file(let path): path
        case .v4l2(let device): device
        case .testPattern: ""
        }
    }

    private var inputFormat: String? {
        if case .v4l2 = kind { return "video4linux2" }
        return nil
    }

    /// Our defaults for the source kind, overridden by the configured options: a configured
    /// `rtsp_transport` (say `udp`) wins over our `tcp`.
    private func options(_ configuration: PipelineConfiguration) -> [String: String] {
        let micros = String(configuration.effectiveStallTimeout.microseconds)
        var defaults: [String: String] = [:]
        switch kind {
        case .rtsp: defaults = ["rtsp_transport": "tcp", "timeout": micros]
        case .http: defaults = ["rw_timeout": micros]
        default: break
        }
        return defaults.merging(configuration.options) { _, configured in configured }
    }

    private func loop(_ input: LibavInput, _ sink: inout CaptureSink) throws {
        let configuration = sink.configuration
        let timeBase = input.timeBase
        let tick = av_q2d(timeBase)
        let frameDuration = input.frameDuration
        var selector = DecodeModeSelector(fps: configuration.fps)
        var mode = DecodeMode.unknown
        sink.counters.setDecodeMode(.all)
        var offset = 0.0, lastTime = -Double.infinity, firstRaw: Double?
        // The latest packet time of this pass, decoded or not: where the next pass of a loop starts.
        var lastPacketTime = -Double.infinity
        var origin: Int64?
        var packetsSinceRewind = 0
        var decodeErrors = 0

        // A frame the sampler will not take need not be decoded unless others refer to it: the
        // decoder skips the packet's picture if it is a non-reference one. Reference pictures are
        // always decoded, so the frames that are taken come out exactly as they would otherwise.
        func skip(_ packet: UnsafeMutablePointer<AVPacket>, mode: DecodeMode, sampler: FrameSampler) -> LibavInput.Skip {
            if mode == .keyframe { return .nonKey }
            let pts = packet.pointee.pts
            guard pts != FFmpegCall.noTimestamp, sampler.willDrop(time: Double(pts) * tick + offset) else { return .none }
            return .nonReference
        }

        // Reference frames need decoding only if a frame that is taken refers to them. At the end
        // of a GOP, when the sampler will take nothing before the next keyframe is due, the
        // packets are held back instead: an IDR picture next makes them useless, and they are
        // dropped undecoded; anything else (a frame that may be taken, a keyframe that is not an
        // IDR picture, a late keyframe) has them decoded first, in order, as they would have been.
        let randomAccess = RandomAccess(input.codecParameters)
        var deferred = DeferredPackets()
        var brokenGOP = false
        var lastKeyStamp: Int64?
        var decodingStartsHere = true

        func endsGOP(_ sampler: FrameSampler) -> Bool {
            guard randomAccess != nil, deferred.hasRoom, let next = selector.nextKeyframe else { return false }
            return sampler.willDrop(time: next - frameDuration / 2)
        }

        func decode(_ packet: UnsafeMutablePointer<AVPacket>, skip: LibavInput.Skip, _ sink: inout CaptureSink) throws {
            input.setSkip(skip)
            let sent = avcodec_send_packet(input.decoder, packet)
            if sent < 0, sent != FFmpegCall.again {
                decodeErrors += 1
                if decodeErrors > 100 { throw sink.failure(.decodeFailed, "decoding \(configuration.url)", sent) }
                return
            }
            decodeErrors = 0
            try receiveFrames(&sink)
        }

        // Shown before the last keyframe (a leading picture of an open GOP).
        func leads(_ packet: UnsafeMutablePointer<AVPacket>) -> Bool {
            guard let lastKeyStamp, packet.pointee.pts != FFmpegCall.noTimestamp else { return false }
            return packet.pointee.pts < lastKeyStamp
        }

        func decodeDeferred(_ sink: inout CaptureSink, skippingLeading: Bool = false) throws {
            try deferred.release { packet in
                if skippingLeading, leads(packet) { return }
                try decode(packet, skip: skip(packet, mode: mode, sampler: sink.sampler), &sink)
            }
        }

        // Keyframe mode held the GOP's other frames and a slot came before the next keyframe:
        // every frame is decoded until the next keyframe says again, from the held ones on. Those
        // shown before the last keyframe (leading pictures of an open GOP) may refer to frames
        // before it, which were not decoded: they are dropped, as a decoder starting at that
        // keyframe would.
        func leaveKeyframeMode(_ sink: inout CaptureSink) throws {
            mode = .all
            sink.counters.setDecodeMode(.all)
            logger.debug("decode mode", metadata: ["mode": "all", "reason": "no keyframe by the slot", "url": "\(configuration.redactedURL)"])
            try decodeDeferred(&sink, skippingLeading: true)
        }

        func receiveFrames(_ sink: inout CaptureSink) throws {
            while true {
                let rc = avcodec_receive_frame(input.decoder, input.frame)
                if rc == FFmpegCall.again || rc == FFmpegCall.eof { return }
                if rc < 0 { throw sink.failure(.decodeFailed, "decoding \(configuration.url)", rc) }
                defer { av_frame_unref(input.frame) }
                sink.counters.frameDecoded()
                let raw = input.frame.pointee.best_effort_timestamp
                var time = raw == FFmpegCall.noTimestamp ? lastTime + frameDuration : Double(raw) * tick + offset
                if raw != FFmpegCall.noTimestamp, firstRaw == nil { firstRaw = Double(raw) * tick }
                if !time.isFinite { time = 0 }
                lastTime = time
                if isFile { try sink.pace(time: time, origin: &origin) }
                let slack = mode == .keyframe ? (selector.keyframeInterval ?? 0) / 2 : 0
                try sink.offer(input.frame, time: time, slack: slack)
            }
        }

        while true {
            try sink.checkStop()
            let rc = av_read_frame(input.format, input.packet)
            if rc == FFmpegCall.again { continue }
            if rc < 0 {
                if let stop = sink.stopError() { throw stop }
                guard isFile, rc == FFmpegCall.eof else {
                    if rc == FFmpegCall.eof {
                        throw PipelineError(.endOfStream, "\(configuration.url) ended (the server closed the stream)")
                    }
                    throw sink.failure(.readFailed, "reading \(configuration.url)", rc)
                }
                // At the end, held frames are needed only by a slot keyframe mode has not filled.
                if mode == .keyframe, !brokenGOP, lastPacketTime.isFinite, !sink.sampler.willDrop(time: lastPacketTime) {
                    try leaveKeyframeMode(&sink)
                } else {
                    deferred.drop()
                }
                _ = avcodec_send_packet(input.decoder, nil)
                try receiveFrames(&sink)
                guard configuration.loop else { return }
                guard packetsSinceRewind > 0 else {
                    throw PipelineError(.endOfStream, "\(configuration.url) has no video frames to loop over")
                }
                try input.rewind()
                offset = max(lastTime, lastPacketTime) + frameDuration - (firstRaw ?? 0)
                lastPacketTime = -Double.infinity
                lastKeyStamp = nil
                packetsSinceRewind = 0
                continue
            }
            defer { av_packet_unref(input.packet) }
            guard input.packet.pointee.stream_index == input.videoIndex else { continue }
            packetsSinceRewind += 1
            if input.packet.pointee.pts != FFmpegCall.noTimestamp {
                lastPacketTime = max(lastPacketTime, Double(input.packet.pointee.pts) * tick + offset)
            }
            sink.counters.packetRead()
            sink.control.frameArrived()
            let isKey = input.packet.pointee.flags & AV_PKT_FLAG_KEY != 0
            if isKey {
                brokenGOP = false
                // The frames before this keyframe are not all decoded: it is the first, or keyframe
                // mode skipped the others.
                decodingStartsHere = mode == .keyframe || lastKeyStamp == nil
                if !deferred.isEmpty {
                    // In keyframe mode, what is held is the rest of the last GOP, which a keyframe
                    // does not need.
                    let packet = input.packet.pointee
                    let bytes = UnsafeRawBufferPointer(start: packet.data, count: Int(max(0, packet.size)))
                    if mode == .keyframe || randomAccess?.beginsSequence(bytes) == true {
                        deferred.drop()
                    } else {
                        try decodeDeferred(&sink)
                    }
                }
                let stamp = input.packet.pointee.pts != FFmpegCall.noTimestamp ? input.packet.pointee.pts : input.packet.pointee.dts
                lastKeyStamp = stamp != FFmpegCall.noTimestamp ? stamp : nil
                if stamp != FFmpegCall.noTimestamp {
                    let newMode = selector.keyframe(at: Double(stamp) * tick + offset)
                    if newMode != mode {
                        mode = newMode
                        sink.counters.setDecodeMode(mode == .unknown ? .all : mode)
                        logger.debug("decode mode", metadata: ["mode": "\(mode.rawValue)", "url": "\(configuration.redactedURL)"])
                    }
                }
            } else if mode == .keyframe {
                // The GOP's other frames are held in case a slot passes before the next keyframe
                // (the GOP grew): they are then decoded, this frame is taken late by up to half a
                // keyframe interval, as keyframes are taken early, and every frame is decoded until
                // the next keyframe says again. Packets beyond the limit are dropped, and the GOP's
                // frames go undecoded.
                if brokenGOP { continue }
                let pts = input.packet.pointee.pts
                let slack = (selector.keyframeInterval ?? 0) / 2
                if pts == FFmpegCall.noTimestamp || sink.sampler.willDrop(time: Double(pts) * tick + offset, late: slack) {
                    if deferred.hasRoom {
                        try deferred.hold(input.packet)
                    } else {
                        deferred.drop()
                        brokenGOP = true
                    }
                    continue
                }
                try leaveKeyframeMode(&sink)
            } else if decodingStartsHere, leads(input.packet) {
                // Shown before the keyframe decoding starts at (a leading picture of an open GOP),
                // it may refer to frames before it: dropped, as a decoder starting there would.
                continue
            }
            let skip = skip(input.packet, mode: mode, sampler: sink.sampler)
            if skip == .nonReference, endsGOP(sink.sampler) {
                try deferred.hold(input.packet)
                continue
            }
            if !deferred.isEmpty { try decodeDeferred(&sink) }
            try decode(input.packet, skip: skip, &sink)
        }
    }
}
