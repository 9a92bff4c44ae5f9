import Foundation
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// `camera_defaults`: every camera is the defaults overridden key by key by its own keys, problems
/// keep the path where the value was written, and a reload compares the merged cameras.
@Suite struct CameraDefaultsTests {
    private func decode(_ document: [String: Any]) throws -> AppConfig {
        try AppConfig.decode(JSONSerialization.data(withJSONObject: document), directory: "/nonexistent", environment: [:])
    }

    private func issues(_ document: [String: Any]) throws -> [String] {
        try AppConfig.issues(decoding: document)
    }

    @Test func camerasTakeTheDefaultsAndOverrideThemKeyByKey() throws {
        let config = try decode([
            "camera_defaults": [
                "fps": 2, "width": 320, "height": 180, "jpeg_quality": 60,
                "input_options": ["rtsp_transport": "udp", "user_agent": "fleet"],
            ] as [String: Any],
            "cameras": [
                ["id": "a", "url": "rtsp://10.0.0.1/s"],
                ["id": "b", "url": "rtsp://10.0.0.2/s", "fps": 10, "input_options": ["rtsp_transport": "tcp", "timeout": "5000000"]],
                ["id": "c", "url": "rtsp://10.0.0.3/s", "width": 640, "height": 360, "input_options": ["user_agent": NSNull()]],
            ],
        ])
        let (a, b, c) = (config.cameras[0], config.cameras[1], config.cameras[2])
        #expect(a.fps == 2 && a.width == 320 && a.height == 180 && a.jpegQuality == 60)
        #expect(a.inputOptions == ["rtsp_transport": "udp", "user_agent": "fleet"])
        #expect(b.fps == 10 && b.width == 320 && b.jpegQuality == 60)
        #expect(b.inputOptions == ["rtsp_transport": "tcp", "user_agent": "fleet", "timeout": "5000000"])
        #expect(c.fps == 2 && c.width == 640 && c.height == 360)
        #expect(c.inputOptions == ["rtsp_transport": "udp"])
        // The options reach the capture's configuration.
        #expect(CameraSettings.pipeline(b).options == b.inputOptions)
    }

    @Test func problemsKeepThePathWhereTheValueWasWritten() throws {
        let cameras: [[String: Any]] = (0..<4).map { ["id": "c\($0)", "url": "testsrc:"] }
        var bad = cameras
        bad[3]["fps"] = 0
        // A bad default is reported once, at camera_defaults, however many cameras take it.
        #expect(try issues(["camera_defaults": ["fps": 0], "cameras": cameras]) == ["camera_defaults.fps: must be > 0"])
        #expect(try issues(["camera_defaults": ["fps": 2], "cameras": bad]) == ["cameras[3].fps: must be > 0"])
        // Even when every camera overrides it.
        let overriding = cameras.map { $0.merging(["jpeg_quality": 50]) { $1 } }
        #expect(try issues(["camera_defaults": ["jpeg_quality": 101], "cameras": overriding]) == ["camera_defaults.jpeg_quality: must be <= 100"])
        #expect(try issues(["camera_defaults": ["url": "testsrc:"], "cameras": cameras]).first?.hasPrefix("camera_defaults.url: unknown key") == true)
        #expect(try issues(["camera_defaults": ["width": 320], "cameras": cameras]) == ["camera_defaults: width and height go together"])
        #expect(try issues(["camera_defaults": ["width": 320, "height": 180], "cameras": [["id": "a", "url": "testsrc:", "width": NSNull()]]])
            == ["cameras[0]: width and height go together once camera_defaults is merged (override both or neither)"])
        #expect(try issues(["camera_defaults": ["input_options": ["Bad": "x"]], "cameras": cameras])
            == ["camera_defaults.input_options.Bad: option names are 1-64 characters of a-z 0-9 _"])
    }

    /// A generated document with `camera_defaults` decodes to the same cameras as the document
    /// with the defaults written into every camera by hand (this test's own merge).
    @Test(.timeLimit(.minutes(1))) func defaultsEqualTheirExpansion() throws {
        var generator = ConfigGenerator(seed: 0xDEF_A017)
        var compared = 0
        for _ in 0..<300 {
            var document = generator.valid()
            if document["camera_defaults"] == nil { document["camera_defaults"] = generator.cameraDefaults() }
            let defaults = document["camera_defaults"] as! [String: Any]
            var expanded = document
            expanded["camera_defaults"] = nil
            expanded["cameras"] = (document["cameras"] as! [[String: Any]]).map { camera in
                var merged = defaults.merging(camera) { _, own in own }
                let options = (defaults["input_options"] as? [String: Any] ?? [:]).merging(camera["input_options"] as? [String: Any] ?? [:]) { $1 }
                merged["input_options"] = options
                return merged
            }
            let viaDefaults = try decode(document)
            #expect(viaDefaults == (try decode(expanded)))
            compared += viaDefaults.cameras.count
        }
        #expect(compared >= 300)
    }

    /// A reload that changes only `camera_defaults` restarts the cameras whose merged settings
    /// changed, and only those.
    @Test func aDefaultsChangeRestartsExactlyTheCamerasItChanges() throws {
        func document(defaultFPS: Double, transport: String) -> [String: Any] {
            [
                "camera_defaults": ["fps": defaultFPS, "input_options": ["rtsp_transport": transport]] as [String: Any],
                "cameras": [
                    ["id": "takes-both", "url": "rtsp://10.0.0.1/s"],
                    ["id": "own-fps", "url": "rtsp://10.0.0.2/s", "fps": 1],
                    ["id": "own-all", "url": "rtsp://10.0.0.3/s", "fps": 1, "input_options": ["rtsp_transport": "tcp"]],
                ],
            ]
        }
        let old = try decode(document(defaultFPS: 2, transport: "udp"))
        let fps = ConfigDiff(from: old, to: try decode(document(defaultFPS: 3, transport: "udp")))
        #expect(fps.changed.map(\.id) == ["takes-both"] && fps.unchanged == ["own-fps", "own-all"] && !fps.amqpChanged)
        let transport = ConfigDiff(from: old, to: try decode(document(defaultFPS: 2, transport: "udp_multicast")))
        #expect(transport.changed.map(\.id) == ["takes-both", "own-fps"] && transport.unchanged == ["own-all"])
        #expect(ConfigDiff(from: old, to: try decode(document(defaultFPS: 2, transport: "udp"))).isEmpty)
    }
}
