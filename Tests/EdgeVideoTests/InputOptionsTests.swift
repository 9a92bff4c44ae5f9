import Foundation
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// `input_options`: the names, values and refusals of docs/configuration-fleet.md, and secret
/// values shown as `***`.
@Suite struct InputOptionsTests {
    private func issues(_ options: [String: Any], url: String = "rtsp://10.0.0.1/s", inDefaults: Bool = false) throws -> [String] {
        let camera: [String: Any] = ["id": "a", "url": url]
        let document: [String: Any] =
            inDefaults
            ? ["camera_defaults": ["input_options": options], "cameras": [camera]]
            : ["cameras": [camera.merging(["input_options": options]) { $1 }]]
        return try AppConfig.issues(decoding: document)
    }

    @Test func namesAndValues() throws {
        #expect(try issues(["rtsp_transport": "udp", "buffer_size": "1048576", "timeout": "5000000", "a": ""]).isEmpty)
        let name = "cameras[0].input_options"
        for bad in ["", "Bad", "a-b", "a.b", String(repeating: "o", count: 65), "é"] {
            #expect(try issues([bad: "x"]) == ["\(name).\(bad): option names are 1-64 characters of a-z 0-9 _"], "\(bad)")
        }
        #expect(try issues([String(repeating: "o", count: 64): "x"]).isEmpty)
        #expect(try issues(["user_agent": String(repeating: "v", count: 1024)]).isEmpty)
        #expect(try issues(["user_agent": String(repeating: "v", count: 1025)]) == ["\(name).user_agent: must be at most 1024 bytes"])
        // Bytes, not characters: 600 é are 1,200 bytes.
        #expect(try issues(["user_agent": String(repeating: "é", count: 600)]) == ["\(name).user_agent: must be at most 1024 bytes"])
        #expect(try issues(["user_agent": "a\u{0}b"]) == ["\(name).user_agent: must not contain a NUL character"])
        #expect(try issues(["timeout": 5]) == ["\(name).timeout: must be a string (libav parses it), not a number"])
    }

    @Test func theDenyList() throws {
        let camera = "cameras[0].input_options"
        #expect(try issues(["listen": "1"]) == ["\(camera).listen: refused: listen makes the input a server"])
        #expect(try issues(["rtsp_flags": "listen"]) == ["\(camera).rtsp_flags: refused: the listen flag makes the input an RTSP server"])
        #expect(try issues(["rtsp_flags": "prefer_tcp+listen"]).count == 1)
        #expect(try issues(["rtsp_flags": "prefer_tcp"]).isEmpty)
        #expect(try issues(["protocol_whitelist": "tcp,udp,rtp"]).isEmpty)
        #expect(try issues(["protocol_blacklist": "udp,rtp"]).isEmpty)
        for widening in ["file,tcp", "tcp,pipe", "subfile", "concat,http", "data"] {
            #expect(try issues(["protocol_whitelist": widening]).first?.hasPrefix("\(camera).protocol_whitelist: refused: names protocols") == true)
        }
        #expect(try issues(["protocol_whitelist": "file"], url: "file:///tmp/x.mp4")
            == ["\(camera).protocol_whitelist: refused: only network cameras (rtsp, http) take it"])
        // A refusal that depends on the camera's source is reported where the option was written.
        #expect(try issues(["rtsp_flags": "listen"], inDefaults: true)
            == ["camera_defaults.input_options.rtsp_flags: refused: the listen flag makes the input an RTSP server"])
    }

    @Test func secretValuesAreShownAsStars() throws {
        let secrets = [
            "headers": "Authorization: Bearer h34d3r\r\n", "cookies": "session=c00k13", "auth_type": "basic",
            "cryptokey": "6b3c", "tls_key": "k3y", "token": "t0k3n", "password": "pa55",
        ]
        let plain = ["rtsp_transport": "udp", "user_agent": "fleet"]
        for name in secrets.keys { #expect(InputOptions.isSecret(name), "\(name)") }
        for name in plain.keys { #expect(!InputOptions.isSecret(name), "\(name)") }
        var camera = AppConfig.Camera(id: "a", url: "rtsp://10.0.0.1/s")
        camera.inputOptions = secrets.merging(plain) { $1 }
        let printed = String(decoding: AppConfig(cameras: [camera]).printed(), as: UTF8.self)
        for value in secrets.values { #expect(!printed.contains(value), "\(value) printed") }
        for value in plain.values { #expect(printed.contains(value)) }
        #expect(printed.components(separatedBy: "\"***\"").count - 1 == secrets.count)
    }
}
