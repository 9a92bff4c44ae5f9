import CFFmpeg

/// The built-in `testsrc:` source: moving colour bars and a binary frame counter, generated in
/// yuv420p on the capture thread. No network and no extra library.
///
/// Only frames the sampler keeps are drawn; the others just advance the clock.
struct TestPatternSource {
    let options: TestPatternOptions

    /// Bar colours (Y, U, V): white, yellow, cyan, green, magenta, red, blue, black.
    private static let bars: [(UInt8, UInt8, UInt8)] = [
        (235, 128, 128), (210, 16, 146), (170, 166, 16), (145, 54, 34),
        (106, 202, 222), (81, 90, 240), (41, 240, 110), (16, 128, 128),
    ]

    func run(_ sink: inout CaptureSink) throws {
        sink.counters.setDecodeMode(.all)
        var origin: Int64?
        var index: Int64 = 0
        while true {
            try sink.checkStop()
            let time = Double(index) / options.rate
            try sink.pace(time: time, origin: &origin)
            sink.counters.packetRead()
            sink.counters.frameDecoded()
            sink.control.frameArrived()
            if sink.sampler.shouldKeep(time: time) {
                let picture = try draw(index)
                try withExtendedLifetime(picture) { try sink.emit(picture.pointer, time: time) }
            }
            index += 1
        }
    }

    /// Draws frame `index`: bars shifted by 4 px per frame, counter bits as squares at the top left.
    func draw(_ index: Int64) throws -> OwnedFrame {
        let picture = try OwnedFrame()
        let frame = picture.pointer
        frame.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        frame.pointee.width = Int32(options.width)
        frame.pointee.height = Int32(options.height)
        frame.pointee.color_range = AVCOL_RANGE_MPEG
        try FFmpegCall.check(av_frame_get_buffer(frame, 0), .resourceExhausted, "av_frame_get_buffer")
        let width = options.width, height = options.height
        let shift = Int(index * 4 % Int64(width))
        let barWidth = max(1, width / Self.bars.count)
        for plane in 0..<3 {
            let planeWidth = plane == 0 ? width : width / 2
            let planeHeight = plane == 0 ? height : height / 2
            let stride = frame.lineSize(plane)
            guard let base = frame.plane(plane) else { continue }
            // One row, then copied down: every row of the bars is the same.
            for x in 0..<planeWidth {
                let sourceX = ((plane == 0 ? x : x * 2) + shift) % width
                let bar = Self.bars[min(Self.bars.count - 1, sourceX / barWidth)]
                base[x] = plane == 0 ? bar.0 : (plane == 1 ? bar.1 : bar.2)
            }
            for y in 1..<planeHeight {
                (base + y * stride).update(from: base, count: planeWidth)
            }
        }
        drawCounter(index, frame)
        return picture
    }

    /// 32 bits of `index`, most significant first, as white (1) / black (0) squares in luma.
    private func drawCounter(_ index: Int64, _ frame: UnsafeMutablePointer<AVFrame>) {
        let side = max(2, min(options.width / 40, options.height / 8))
        guard let luma = frame.plane(0) else { return }
        let stride = frame.lineSize(0)
        for bit in 0..<32 where (bit + 1) * side <= options.width {
            let value: UInt8 = (index >> (31 - bit)) & 1 == 1 ? 235 : 16
            for y in 0..<side {
                (luma + y * stride + bit * side).update(repeating: value, count: side)
            }
        }
    }
}
