import Foundation
import Locking
import Logging
import Testing
@testable import VideoPipeline

@Suite("Unused source options")
struct UnusedOptionTests {
    @Test(.timeLimit(.minutes(1)))
    func optionsLibavDidNotConsumeAreReported() async throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = try Fixtures.h264Clip(in: directory, seconds: 1)
        let records = RecordedLogs()
        let logger = Logger(label: "test.capture") { _ in RecordingHandler(records: records) }
        let config = PipelineConfiguration(
            url: "file://" + clip.path, fps: 5, loop: false, pacing: .unpaced,
            options: ["probesize": "5000000", "no_such_option": "1"])
        let pipeline = Pipeline(config, capacity: 50)
        try await Capture(configuration: config, output: pipeline.captured, counters: pipeline.counters, logger: logger).run()
        let warnings = records.lines.withLock { $0 }.filter { $0.contains("unused source options") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("no_such_option") == true)
        #expect(warnings.first?.contains("probesize") == false)
        #expect(pipeline.counters.snapshot().framesCaptured == 5)
    }
}

/// Log lines captured by ``RecordingHandler``.
final class RecordedLogs: Sendable {
    let lines = Locked<[String]>([])
}

/// A swift-log handler that records "message metadata" lines.
struct RecordingHandler: LogHandler {
    let records: RecordedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        records.lines.withLock { $0.append("\(event.message) \(fields.joined(separator: " "))") }
    }
}
