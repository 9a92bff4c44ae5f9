import ArgumentParser
import Durations
import Foundation
import VideoPipeline

/// `edge-video-bench pipeline`: decode, sample, scale and JPEG-encode a whole file as fast as
/// possible (no pacing, no publishing), then print one JSON line.
struct PipelineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Capture + encode a video file unpaced and print CPU seconds as JSON.")

    @Option(help: "The input video file.")
    var input: String

    @Option(help: "Output frames per second.")
    var fps: Double = 5

    @Option(help: "Output size WIDTHxHEIGHT; omit for the source size.")
    var size: String?

    @Option(help: "JPEG quantiser 2...31.")
    var quality: Int = 5

    @Option(help: "Decoder threads (0 = libav's choice).")
    var threads: Int = 1

    func run() async throws {
        var width: Int?, height: Int?
        if let size {
            let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2 else { throw ValidationError("--size must be WIDTHxHEIGHT") }
            (width, height) = (parts[0], parts[1])
        }
        let path = input.hasPrefix("/") ? input : FileManager.default.currentDirectoryPath + "/" + input
        let configuration = PipelineConfiguration(
            url: "file://" + path, fps: fps, width: width, height: height, quality: quality,
            stallTimeout: .seconds(60), loop: false, pacing: .unpaced, decoderThreads: threads)
        try configuration.validate()

        let captured = FrameQueue<CapturedFrame>(capacity: 4)
        let encoded = FrameQueue<EncodedFrame>(capacity: 1 << 20)
        let counters = PipelineCounters()
        let capture = Capture(configuration: configuration, output: captured, counters: counters)
        let encoder = Encoder(
            configuration: configuration, input: captured, output: encoded, counters: counters,
            sequence: FrameSequence())

        let wallStart = ContinuousClock.now
        let cpuStart = Self.cpuSeconds()
        var jpegBytes = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await encoder.run() }
            try await capture.run()
            // The capture read the whole file (unpaced: nothing dropped); collect every JPEG.
            let expected = counters.snapshot().framesCaptured
            var collected: Int64 = 0
            while collected < expected {
                jpegBytes += try await encoded.next().jpeg.count
                collected += 1
            }
            group.cancelAll()
        }
        let cpu = Self.cpuSeconds() - cpuStart
        let wall = ContinuousClock.now - wallStart
        let s = counters.snapshot()
        let wallSeconds = wall.seconds
        print(
            #"{"bench":"pipeline","frames_in":\#(s.packetsRead),"frames_decoded":\#(s.framesDecoded),"#
                + #""frames_out":\#(s.framesEncoded),"dropped":\#(s.dropped),"cpu_s":\#(Self.round(cpu)),"#
                + #""wall_s":\#(Self.round(wallSeconds)),"decode_mode":"\#(s.decodeMode.rawValue)","#
                + #""jpeg_bytes":\#(jpegBytes),"fps":\#(fps),"quality":\#(quality),"threads":\#(threads)}"#)
    }

    /// User + system CPU seconds of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    static func round(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
