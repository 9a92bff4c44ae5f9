import ArgumentParser
import Durations
import EdgeVideo
import EdgeVideoConfig
import Foundation
import VideoPipeline

/// `edge-video probe URL`: open a source the way capture does, measure it, propose a camera entry.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Open a source as capture would and print its codec, size, frame rate, keyframe interval, bitrate and a camera entry.",
        discussion: "Exit codes: 0 measured, 1 the source did not open or went silent for --timeout seconds, 64 usage error."
    )

    @Argument(help: "rtsp(s)://, http(s)://, file://, /dev/videoN or testsrc: (a password in it is never printed).")
    var url: String

    @Option(help: "Seconds the source may stay silent, opening included, before the probe fails.")
    var timeout: Double = 10

    @Option(help: "Seconds of the stream to read and measure.")
    var duration: Double = 3

    @Option(name: .customLong("option"), help: "A libav input option NAME=VALUE, as in input_options (repeatable).")
    var options: [String] = []

    @Flag(help: "Print the measurements and the camera entry as JSON.")
    var json = false

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be within (0, 3600]") }
        guard duration > 0, duration <= 600 else { throw ValidationError("--duration must be within (0, 600]") }
        _ = try parsedOptions()
    }

    /// `--option` values as a dictionary, checked by the configuration's own rules.
    private func parsedOptions() throws -> [String: String] {
        var parsed: [String: String] = [:]
        for option in options {
            let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--option takes NAME=VALUE") }
            if let problem = InputOptions.problem(name: parts[0], value: parts[1], url: url) {
                throw ValidationError("--option \(parts[0]): \(problem)")
            }
            parsed[parts[0]] = parts[1]
        }
        return parsed
    }

    func run() async throws {
        let options = try parsedOptions()
        let probe = SourceProbe(
            url: url, options: options, timeout: Duration(secondsSaturating: timeout), duration: Duration(secondsSaturating: duration))
        let report: SourceProbe.Report
        do {
            report = try await probe.run()
        } catch {
            FileHandle.standardError.write(Data("edge-video probe: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let entry = ProbeSuggestion.cameraEntry(url: url, options: options, report: report)
        if json {
            let encoder = JSONEncoder()
            let probed = try JSONSerialization.jsonObject(with: encoder.encode(report))
            let document: [String: Any] = ["probe": probed, "camera": entry]
            let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            print(Self.rendered(report))
            let data = try JSONSerialization.data(withJSONObject: entry, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print("camera entry:\n" + String(decoding: data, as: UTF8.self))
        }
    }

    /// The report in lines for a terminal.
    static func rendered(_ report: SourceProbe.Report) -> String {
        func number(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "unknown" }
        var lines = ["source      \(report.url)", "codec       \(report.codec) \(report.width)x\(report.height)"]
        lines.append("frame rate  \(number(report.measuredFPS, "%.2f")) fps measured (declared \(number(report.declaredFPS, "%.2f")))")
        lines.append(
            "keyframes   every \(number(report.keyframeIntervalS, "%.2f")) s (\(number(report.keyframeIntervalFrames, "%.1f")) frames)")
        lines.append(
            "bitrate     \(number(report.bitrateBps.map { $0 / 1000 }, "%.0f")) kbit/s over \(String(format: "%.1f", report.seconds)) s (\(report.packets) packets)")
        if !report.unusedOptions.isEmpty { lines.append("unused      \(report.unusedOptions.joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}
