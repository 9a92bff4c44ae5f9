import EdgeVideoTestSupport
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
        let logger = Logger(label: "test.capture") { _ in records.handler() }
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

/// Log lines, "message key=value ...", from the handlers ``handler()`` makes.
final class RecordedLogs: Sendable {
    let lines = Locked<[String]>([])

    /// A swift-log handler that records each event's message and its own metadata, sorted by key.
    func handler() -> RecordingLogHandler {
        RecordingLogHandler { event, _ in
            let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            self.lines.withLock { $0.append("\(event.message) \(fields.joined(separator: " "))") }
        }
    }
}
