import EdgeVideoTestSupport
import Foundation
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig
import VideoPipeline

@Suite struct ConfigDecodingTests {
    private func issues(_ json: String) -> [String] {
        do {
            _ = try AppConfig.decode(Data(json.utf8))
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    @Test func minimalConfigGetsEveryDefault() throws {
        let config = try AppConfig.decode(Data(#"{"cameras":[{"id":"a","url":"testsrc:"}]}"#.utf8))
        #expect(config.amqp.urls == ["amqp://guest:guest@127.0.0.1:5672/%2f"])
        #expect(config.amqp.exchange == "edge.video")
        #expect(config.amqp.exchangeType == .topic)
        #expect(config.amqp.routingKey == "camera.{id}.frame")
        #expect(config.cameras[0].routingKey(template: config.amqp.routingKey) == "camera.a.frame")
        #expect(config.cameras[0].fps == 5 && config.cameras[0].width == nil && config.cameras[0].jpegQuality == 80)
        #expect(config.supervision.backoff.jitter == 0.25)
        #expect(config.status.file == ".run/status.json")
    }

    @Test func stallTimeoutFollowsTheFrameRateUnlessSet() throws {
        let json = #"{"cameras":[{"id":"slow","url":"testsrc:","fps":0.2},{"id":"fast","url":"testsrc:"},"#
            + #"{"id":"set","url":"testsrc:","fps":0.2,"stall_timeout_s":4}]}"#
        let config = try AppConfig.decode(Data(json.utf8))
        let timeouts: [Duration] = config.cameras.map { CameraSettings.pipeline($0).effectiveStallTimeout }
        #expect(timeouts == [.seconds(15), .seconds(10), .seconds(4)])
    }

    @Test func errorsNameTheirJSONPath() {
        let found = issues(
            """
            {"cameras": [
              {"id": "a", "url": "testsrc:"},
              {"id": "b", "url": "rtsp://cam/x"},
              {"id": "c", "url": "testsrc:", "fps": 0}
            ]}
            """)
        #expect(found == ["cameras[2].fps: must be > 0"])
    }

    @Test(arguments: [#""yes""#, "1", "null", "[true]", #"{"on": true}"#])
    func theStartupPagesSwitchTakesOnlyABoolean(value: String) {
        let cameras = #""cameras": [{"id": "a", "url": "testsrc:"}]"#
        let found = issues(#"{"memory": {"release_startup_pages": \#(value)}, \#(cameras)}"#)
        #expect(found.count == 1 && found.first?.hasPrefix("memory.release_startup_pages: ") == true, "\(found)")
        #expect(issues(#"{"memory": {"release_startup_pages": false, "swap": 1}, \#(cameras)}"#).first?.hasPrefix("memory.swap") == true)
        #expect(issues(#"{"memory": {"release_startup_pages": false}, \#(cameras)}"#).isEmpty)
    }

    @Test func everyProblemIsReportedAtOnce() {
        let found = issues(
            """
            {"amqp": {"urls": ["http://broker"], "heartbeat_s": -1, "tls": {"cert_file": "c.pem"}},
             "supervision": {"backoff": {"jitter": 2}},
             "logging": {"level": "loud"},
             "colour": "blue",
             "cameras": [
               {"id": "a", "url": "testsrc:", "widht": 640},
               {"id": "a", "url": "ftp://x"},
               {"id": "bad id!", "url": "rtsp://"},
               {"url": "/dev/video0", "jpeg_quality": 101, "width": 641},
               {"id": "e", "url": "testsrc:?size=10x10", "fps": "5", "queue_capacity": 1.5},
               7
             ]}
            """)
        let expected = [
            "colour: unknown key",
            "amqp.urls[0]: scheme must be amqp:// or amqps://",
            "amqp.heartbeat_s: must be >= 0",
            "amqp.tls: cert_file and key_file go together",
            "supervision.backoff.jitter: must be <= 1",
            "logging.level: must be one of",
            "cameras[0].widht: unknown key",
            "cameras[1].id: duplicate id \"a\" (also cameras[0])",
            "cameras[1].url: unsupported URL (expected",
            "cameras[2].id: must be 1-64 characters",
            "cameras[2].url: URL has no host",
            "cameras[3].id: required",
            "cameras[3].width: must be even",
            "cameras[3]: width and height go together",
            "cameras[3].jpeg_quality: must be <= 100",
            "cameras[4].url: testsrc size must be WxH",
            "cameras[4].fps: must be a number, not a string",
            "cameras[4].queue_capacity: must be a whole number",
            "cameras[5]: must be an object, not a number",
        ]
        for prefix in expected {
            #expect(found.contains { $0.hasPrefix(prefix) }, "missing \(prefix) in \(found)")
        }
        #expect(found.count == expected.count, "\(found)")
    }

    @Test func documentLevelProblems() {
        #expect(issues("{").first?.hasPrefix("invalid JSON") == true)
        #expect(issues("[]") == ["the document must be a JSON object"])
        #expect(issues("{}") == ["cameras: required (an array of cameras)"])
        #expect(issues(#"{"cameras": [], "amqp": {"urls": []}}"#) == ["amqp.urls: must name at least one broker"])
    }

    @Test func cameraURLSchemes() {
        for good in [
            "rtsp://10.0.0.2:554/s", "rtsps://h/s", "http://h/mjpg", "https://h/x.m3u8", "file:///v.mp4",
            "/dev/video0", "testsrc:", "testsrc:?size=1280x720&rate=15",
        ] {
            #expect(PipelineConfiguration.urlProblem(good) == nil, "\(good)")
        }
        for bad in ["", "rtmp://h/x", "/dev/sda", "/dev/video", "file://", "testsrc:size=1x1", "testsrc:?rate=0",
            "file:/x", "file://host/x", "testsrc:?size=641x360", "testsrc:?colour=red", "/dev/video0x", "rtsp://a b/x",
        ] {
            #expect(PipelineConfiguration.urlProblem(bad) != nil, "\(bad)")
        }
    }

    @Test func idRule() {
        #expect(AppConfig.isValidID("cam-1.front_door"))
        #expect(AppConfig.isValidID(String(repeating: "a", count: 64)))
        #expect(!AppConfig.isValidID(String(repeating: "a", count: 65)))
        #expect(!AppConfig.isValidID(""))
        #expect(!AppConfig.isValidID("cam/1"))
        #expect(!AppConfig.isValidID("café"))
    }

    @Test func passwordsNeverReachErrors() {
        let found = issues(#"{"amqp": {"urls": ["ftp://u:hunter2@h/"]}, "cameras": [{"id": "a", "url": "rtmp://u:s3cret@h/x"}]}"#)
        #expect(!found.isEmpty)
        #expect(!found.joined().contains("hunter2") && !found.joined().contains("s3cret"))
    }

    @Test func repositoryConfigsAreValid() throws {
        let config = try AppConfig.load(path: RepositoryFiles.path("supervision.json"))
        #expect(config.cameras.count == 2)
        #expect(config.cameras.allSatisfy { $0.url.hasPrefix("testsrc:") })
        #expect(config.amqp.urls == ["amqp://guest:guest@127.0.0.1:5672/%2f"])
        let appliance = try AppConfig.load(path: RepositoryFiles.path("deploy/edge-video.json"))
        #expect(appliance.status.file.hasPrefix("/run/edge-video/"))
    }

    @Test func missingFileIsAClearError() {
        do {
            _ = try AppConfig.load(path: "/nonexistent/supervision.json")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.description == "cannot read /nonexistent/supervision.json: no such file")
        }
    }
}
