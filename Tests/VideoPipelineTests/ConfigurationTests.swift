import Testing
@testable import VideoPipeline

@Suite("Configuration, URLs and redaction")
struct ConfigurationTests {
    @Test(.timeLimit(.minutes(1)))
    func errorMessagesNeverCarryThePassword() {
        let error = PipelineError(.openFailed, "cannot open rtsp://admin:hunter2@127.0.0.1:1/x: refused")
        #expect(!error.description.contains("hunter2"))
        #expect(error.message.contains("admin:***@"))
    }

    @Test(.timeLimit(.minutes(1)))
    func stallTimeoutDefaults() {
        #expect(PipelineConfiguration(url: "testsrc:", fps: 5).effectiveStallTimeout == .seconds(10))
        #expect(PipelineConfiguration(url: "testsrc:", fps: 0.2).effectiveStallTimeout == .seconds(15))
        #expect(PipelineConfiguration(url: "testsrc:", fps: 0.5, stallTimeout: .seconds(2)).effectiveStallTimeout == .seconds(2))
    }

    @Test(.timeLimit(.minutes(1)), arguments: [
        "rtsp://cam/x", "rtsps://u:p@cam:322/x", "http://127.0.0.1:8080/mjpeg", "https://h/x.m3u8",
        "file:///tmp/a.mp4", "/dev/video0", "testsrc:", "testsrc:?size=640x360&rate=10",
    ])
    func acceptsEverySupportedScheme(url: String) throws {
        try PipelineConfiguration(url: url, fps: 1).validate()
    }

    @Test(.timeLimit(.minutes(1)), arguments: [
        "ftp://cam/x", "rtsp://", "rtsp:///path", "file://relative.mp4", "testsrc:?size=12x", "testsrc:?bogus=1", "",
    ])
    func rejectsBadURLs(url: String) {
        #expect(throws: PipelineError.self) { try PipelineConfiguration(url: url, fps: 1).validate() }
    }

    @Test(.timeLimit(.minutes(1)))
    func rejectsBadNumbersWithEveryProblemNamed() throws {
        let config = PipelineConfiguration(url: "rtsp://u:pw@cam/x", fps: 0, width: 641, quality: 40)
        let error = try #require(throws: PipelineError.self) { try config.validate() }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("fps"))
        #expect(error.message.contains("width and height"))
        #expect(error.message.contains("quality"))
    }
}
