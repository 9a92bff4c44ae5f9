import CFFmpeg
import DedicatedThread
import Durations
import Logging

/// Opens a source the way capture does and measures what it delivers for a few seconds: codec,
/// size, frame rate, keyframe interval and bitrate (`edge-video probe`).
///
/// The open is capture's own (``LibavSource``): the same default options under `options`, the
/// interrupt callback installed before `avformat_open_input`, and the stall timeout as the limit
/// on every wait, enforced by a watchdog as in ``Capture/run()``. libav runs on a dedicated thread.
package struct SourceProbe: Sendable {
    /// What a probe found. Measured figures come from the video packets' timestamps and sizes.
    package struct Report: Sendable, Equatable, Codable {
        /// The URL, its password shown as `***`.
        package var url: String
        /// The video codec's libav name (`h264`, `mjpeg`, ...); `testsrc` for the synthetic pattern.
        package var codec: String
        /// Picture width in pixels.
        package var width: Int
        /// Picture height in pixels.
        package var height: Int
        /// The frame rate the stream declares, when it does.
        package var declaredFPS: Double?
        /// Frames per second measured from the packets' timestamps.
        package var measuredFPS: Double?
        /// Mean seconds between keyframes, when two were seen.
        package var keyframeIntervalS: Double?
        /// Mean packets between keyframes, when two were seen.
        package var keyframeIntervalFrames: Double?
        /// Bits per second measured from packet sizes over their timestamps' span.
        package var bitrateBps: Double?
        /// Video packets read.
        package var packets: Int
        /// Media seconds the packets spanned.
        package var seconds: Double
        /// Options libav did not use (misspelt, or not for this source).
        package var unusedOptions: [String]

        enum CodingKeys: String, CodingKey {
            case url, codec, width, height, packets, seconds
            case declaredFPS = "declared_fps", measuredFPS = "measured_fps", keyframeIntervalS = "keyframe_interval_s"
            case keyframeIntervalFrames = "keyframe_interval_frames", bitrateBps = "bitrate_bps", unusedOptions = "unused_options"
        }
    }

    /// The source, with its options; its stall timeout is the probe's timeout.
    package let configuration: PipelineConfiguration
    /// How long to read once the source is open.
    package let duration: Duration
    private let logger: Logger

    /// A probe of `url` with libav `options`, failing when the source is silent for `timeout`
    /// (opening included), reading for `duration` of media or wall time, whichever ends first.
    package init(
        url: String, options: [String: String] = [:], timeout: Duration = .seconds(10), duration: Duration = .seconds(3),
        logger: Logger = Logger(label: "edge-video.probe")
    ) {
        configuration = PipelineConfiguration(url: url, fps: 1, stallTimeout: timeout, options: options)
        self.duration = duration
        self.logger = logger
    }

    /// Opens, reads and measures.
    /// - Throws: ``PipelineError`` (`.openFailed`, `.stalled` after the timeout, `.noVideoStream`,
    ///   `.invalidConfiguration`, ...), or `CancellationError`.
    package func run() async throws -> Report {
        try configuration.validate()
        let kind = try SourceKind(url: configuration.url)
        if case .testPattern(let options) = kind {
            // Raw pictures made in-process: every frame is a keyframe, nothing is compressed.
            return Report(
                url: configuration.redactedURL, codec: "testsrc", width: options.width, height: options.height,
                declaredFPS: options.rate, measuredFPS: nil, keyframeIntervalS: 1 / options.rate,
                keyframeIntervalFrames: 1, bitrateBps: nil, packets: 0, seconds: 0, unusedOptions: configuration.options.keys.sorted())
        }
        _ = FFmpegLog.install
        let control = CaptureControl(stallTimeout: configuration.effectiveStallTimeout)
        let body: @Sendable () throws -> Report = { [self] in
            let sink = CaptureSink(
                configuration: configuration, control: control, queue: FrameQueue(capacity: 1), counters: PipelineCounters())
            return try measure(LibavSource(kind: kind, logger: logger), sink)
        }
        return try await withThrowingTaskGroup(of: Report?.self) { group in
            group.addTask {
                while true {
                    let remaining = control.stallDeadline - monotonicNanos()
                    if remaining <= 0 {
                        control.request(.stalled)
                        return nil
                    }
                    try await Task.sleep(for: .nanoseconds(remaining + 1_000_000))
                }
            }
            defer { group.cancelAll() }
            return try await withTaskCancellationHandler {
                try await DedicatedThread.run(name: "probe", body)
            } onCancel: {
                control.request(.cancelled)
            }
        }
    }

    /// On the probe thread: opens the source and reads video packets for ``duration``.
    private func measure(_ source: LibavSource, _ sink: CaptureSink) throws -> Report {
        let (input, unused) = try source.open(sink)
        guard let format = input.format, let decoder = input.decoder else {
            throw PipelineError(.openFailed, "\(configuration.redactedURL) did not open")
        }
        let stream = format.pointee.streams[Int(input.videoIndex)]!.pointee
        let tick = av_q2d(stream.time_base)
        let declared = stream.avg_frame_rate.num > 0 && stream.avg_frame_rate.den > 0 ? av_q2d(stream.avg_frame_rate) : nil
        var tally = PacketTally()
        let began = monotonicNanos()
        let limit = duration.nanoseconds
        while monotonicNanos() - began < limit, tally.span < duration.seconds {
            try sink.checkStop()
            let rc = av_read_frame(format, input.packet)
            if rc == FFmpegCall.again { continue }
            if rc == FFmpegCall.eof { break }
            if rc < 0 { throw sink.failure(.readFailed, "reading \(configuration.url)", rc) }
            defer { av_packet_unref(input.packet) }
            guard input.packet.pointee.stream_index == input.videoIndex else { continue }
            sink.control.frameArrived()
            let packet = input.packet.pointee
            let stamp = packet.dts != FFmpegCall.noTimestamp ? packet.dts : packet.pts
            tally.add(
                time: stamp == FFmpegCall.noTimestamp ? nil : Double(stamp) * tick, bytes: Int(packet.size),
                key: packet.flags & AV_PKT_FLAG_KEY != 0)
        }
        let codecID = stream.codecpar.pointee.codec_id
        return Report(
            url: configuration.redactedURL, codec: String(cString: avcodec_get_name(codecID)),
            width: Int(decoder.pointee.width > 0 ? decoder.pointee.width : stream.codecpar.pointee.width),
            height: Int(decoder.pointee.height > 0 ? decoder.pointee.height : stream.codecpar.pointee.height),
            declaredFPS: declared, measuredFPS: tally.fps, keyframeIntervalS: tally.keyframeInterval?.seconds,
            keyframeIntervalFrames: tally.keyframeInterval?.packets, bitrateBps: tally.bitrate, packets: tally.packets,
            seconds: tally.span, unusedOptions: unused)
    }

}

/// Packet statistics of a probe: timestamps, sizes and keyframes of the video stream.
struct PacketTally {
    private(set) var packets = 0
    private var timed = 0
    private var bytes = 0
    private var first: Double?
    private var last: Double?
    /// Each keyframe's packet index, and its time when it has one.
    private var keys: [(index: Int, time: Double?)] = []

    /// Counts one packet.
    mutating func add(time: Double?, bytes size: Int, key: Bool) {
        if let time {
            first = min(first ?? time, time)
            last = max(last ?? time, time)
            timed += 1
        }
        if key { keys.append((packets, time)) }
        packets += 1
        bytes += size
    }

    /// Media seconds between the first and the last timed packet.
    var span: Double { (last ?? 0) - (first ?? 0) }

    /// Packets per second over the span, once it is not empty.
    var fps: Double? { span > 0 && timed > 1 ? Double(timed - 1) / span : nil }

    /// Bits per second: the bytes of all packets over the span plus one frame's duration.
    var bitrate: Double? {
        guard let fps, fps > 0 else { return nil }
        return Double(bytes * 8) / (span + 1 / fps)
    }

    /// Mean distance between consecutive keyframes, in seconds (of those with a time) and in packets.
    var keyframeInterval: (seconds: Double?, packets: Double)? {
        guard keys.count >= 2, let firstKey = keys.first, let lastKey = keys.last else { return nil }
        let packets = Double(lastKey.index - firstKey.index) / Double(keys.count - 1)
        let times = keys.compactMap(\.time)
        let seconds = times.count >= 2 ? (times.last! - times.first!) / Double(times.count - 1) : nil
        return (seconds, packets)
    }
}
