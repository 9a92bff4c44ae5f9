import AMQPPublisher
import Foundation
import Supervision
import VideoPipeline

@testable import EdgeVideo
@testable import EdgeVideoConfig


/// Generates configuration documents, valid and near-valid: a valid base with a few values
/// pushed onto, just over or well past their limits, or given the wrong type.
struct ConfigGenerator {
    var random: SplitMix64
    /// The broker URL the valid documents use.
    var brokerURL: String

    init(seed: UInt64, brokerURL: String = "amqp://guest:guest@127.0.0.1:5672/%2f") {
        random = SplitMix64(seed: seed)
        self.brokerURL = brokerURL
    }

    /// Camera URLs, good and bad; each is judged by the capture module, not by this list.
    static let cameraURLs = [
        "testsrc:", "testsrc:?size=320x180&rate=10", "testsrc:?size=7680x4320", "testsrc:?size=8192x8192",
        "testsrc:?size=8194x16", "testsrc:?size=641x360", "testsrc:?size=14x14", "testsrc:?rate=0", "testsrc:?rate=240",
        "testsrc:?rate=241", "testsrc:?colour=red", "testsrc:size=320x180", "testsrc:?size=320x180&", "TESTSRC:",
        "file:///tmp/x.mp4", "file:/tmp/x.mp4", "file://host/x.mp4", "file://", "FILE:///tmp/x.mp4",
        "/dev/video0", "/dev/video12", "/dev/video", "/dev/videox", "/dev/sda",
        "rtsp://10.0.0.2:554/s", "rtsp://u:p@cam/s", "rtsp://u:a%23b@cam/s", "rtsps://cam/s", "RTSP://cam/s",
        "rtsp:///s", "rtsp://:554/s", "rtsp://u:p@/s", "rtsp://a b/s", "rtsp://cam/s\n", "http://cam/mjpg",
        "https://cam/x.m3u8", "http://", "rtmp://cam/x", "gopher://x", "", "cam", "://", "testsrc",
    ]

    static let brokerURLs = [
        "amqp://guest:guest@127.0.0.1:5672/%2f", "amqp://h", "amqps://h:5671/v", "amqp://u:p%41@h/", "amqp://[::1]:5672",
        "amqp://:5672", "amqp://h:0", "amqp://h:65536", "amqp://h:x", "amqp://u:p%zz@h/", "http://h", "amqp:/h", "",
        "amqp://[::1", "AMQP://h",
    ]

    private mutating func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
    private mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }

    /// A valid document with 1-3 cameras, some of their settings in `camera_defaults`.
    mutating func valid() -> [String: Any] {
        var cameras: [[String: Any]] = []
        for index in 0..<Int(1 + random.next() % 3) {
            var camera: [String: Any] = ["id": "cam-\(index)", "url": pick(["testsrc:?size=320x180&rate=10", "testsrc:"])]
            if chance(50) { camera["fps"] = pick([0.5, 1, 2, 5, 10]) }
            if chance(30) { (camera["width"], camera["height"]) = (160, 90) }
            if chance(30) { camera["jpeg_quality"] = pick([1, 50, 100]) }
            if chance(20) { camera["stall_timeout_s"] = pick([1, 5, 30]) }
            if chance(20) { camera["input_options"] = inputOptions() }
            cameras.append(camera)
        }
        var document: [String: Any] = [
            "amqp": ["urls": [brokerURL], "exchange": "ev.gen", "heartbeat_s": 5, "confirm_timeout_s": 20] as [String: Any],
            "status": ["file": "run/status.json"],
            "supervision": ["backoff": ["initial_s": 0.1, "max_s": 1] as [String: Any]] as [String: Any],
            "cameras": cameras,
        ]
        if chance(40) { document["camera_defaults"] = cameraDefaults() }
        return document
    }

    /// A valid `camera_defaults`: a few camera settings, maybe some libav options.
    mutating func cameraDefaults() -> [String: Any] {
        var defaults: [String: Any] = [:]
        if chance(60) { defaults["fps"] = pick([0.5, 2, 8]) }
        if chance(40) { (defaults["width"], defaults["height"]) = pick([(320, 180), (64, 36)]) }
        if chance(40) { defaults["jpeg_quality"] = pick([10, 70, 95]) }
        if chance(30) { defaults["queue_capacity"] = pick([2, 16]) }
        if chance(30) { defaults["loop"] = false }
        if chance(40) { defaults["input_options"] = inputOptions() }
        return defaults
    }

    /// Valid libav options, one of them a secret (shown as `***`).
    mutating func inputOptions() -> [String: Any] {
        var options: [String: Any] = [:]
        for _ in 0..<Int(1 + random.next() % 3) {
            let (name, value) = pick([
                ("rtsp_transport", "udp"), ("timeout", "5000000"), ("buffer_size", "1048576"), ("user_agent", "edge-video gen"),
                ("headers", "X-Token: s3cr3t-\(random.next() % 1000)\r\n"), ("auth_type", "basic"),
            ])
            options[name] = value
        }
        return options
    }

    /// A document with `count` mutations applied to a valid one; returns it with their names.
    mutating func nearValid(mutations count: Int) -> (document: [String: Any], mutations: [String]) {
        var document = valid()
        var names: [String] = []
        for _ in 0..<count {
            names.append(mutate(&document))
        }
        return (document, names)
    }

    /// Applies one mutation; returns its description.
    mutating func mutate(_ document: inout [String: Any]) -> String {
        var amqp = document["amqp"] as? [String: Any] ?? [:]
        var status = document["status"] as? [String: Any] ?? [:]
        var supervision = document["supervision"] as? [String: Any] ?? [:]
        var backoff = supervision["backoff"] as? [String: Any] ?? [:]
        var cameras = document["cameras"] as? [[String: Any]] ?? []
        var defaults = document["camera_defaults"] as? [String: Any] ?? [:]
        let index = cameras.isEmpty ? 0 : Int(random.next() % UInt64(cameras.count))
        let description: String
        func camera(_ key: String, _ value: Any) -> String {
            if !cameras.isEmpty { cameras[index][key] = value }
            return "cameras[\(index)].\(key)=\(value)"
        }
        switch random.next() % 31 {
        case 0: description = camera("url", pick(Self.cameraURLs))
        case 1: description = camera("fps", pick([0, -1, 1e-300, 1e-4, 0.0009, 0.001, 0.01, 120, 120.5, 121, 1000, 1e300] as [Double]))
        case 2:
            let size = pick([(16, 16), (15, 16), (7680, 4320), (7682, 4320), (7680, 4322), (2, 2), (0, 0), (-2, 2)])
            _ = camera("width", size.0)
            description = camera("height", size.1)
        case 3: description = camera(pick(["width", "height"]), pick([160, 161, 8192, 16]))
        case 4: description = camera("jpeg_quality", pick([0, 1, 100, 101, -5, 50]))
        case 5: description = camera("stall_timeout_s", pick([0, 1e-12, 0.05, 0.1, 3600, 3601, 1e20] as [Double]))
        case 6: description = camera("queue_capacity", pick([0, 1, 1024, 1025, -1] as [Int]))
        case 7: description = camera("id", pick(["", "a", String(repeating: "x", count: 64), String(repeating: "x", count: 65), "bad id", "cam-0", "café"]))
        case 8:
            amqp["heartbeat_s"] = pick([0, 0.001, 0.5, 0.999, 1, 1.5, 10, 3600, 3601, -1] as [Double])
            amqp["confirm_timeout_s"] = pick([0.1, 2, 20, 3600, 7200] as [Double])
            description = "amqp.heartbeat_s=\(amqp["heartbeat_s"]!) confirm=\(amqp["confirm_timeout_s"]!)"
        case 9:
            amqp["connect_timeout_s"] = pick([0, 1e-10, 0.05, 0.1, 300, 301] as [Double])
            description = "amqp.connect_timeout_s=\(amqp["connect_timeout_s"]!)"
        case 10:
            amqp["urls"] = [pick(Self.brokerURLs)]
            description = "amqp.urls=\(amqp["urls"]!)"
        case 11:
            let id = String(repeating: "i", count: 64)
            if !cameras.isEmpty { cameras[index]["id"] = id }
            amqp["routing_key"] = pick(["{id}", String(repeating: "k", count: 191) + "{id}", String(repeating: "k", count: 200),
                                        "{id}.{id}.{id}.{id}", String(repeating: "k", count: 201), "a.{id}"])
            description = "amqp.routing_key=\(amqp["routing_key"]!) with a 64-byte id"
        case 12:
            amqp["in_flight_window"] = pick([0, 1, 65535, 65536] as [Int])
            description = "amqp.in_flight_window=\(amqp["in_flight_window"]!)"
        case 13:
            amqp["exchange"] = pick(["", "amq.x", "x", String(repeating: "e", count: 255), String(repeating: "e", count: 256)])
            description = "amqp.exchange"
        case 14:
            backoff["multiplier"] = pick([0, 0.5, 1, 100, 101] as [Double])
            description = "backoff.multiplier=\(backoff["multiplier"]!)"
        case 15:
            backoff["jitter"] = pick([-0.1, 0, 1, 1.1] as [Double])
            description = "backoff.jitter=\(backoff["jitter"]!)"
        case 16:
            backoff["initial_s"] = pick([0, 2, 3600, 3601] as [Double])
            backoff["max_s"] = pick([0, 1, 30] as [Double])
            description = "backoff initial \(backoff["initial_s"]!) max \(backoff["max_s"]!)"
        case 17:
            supervision["intensity"] = pick([-1, 0, 10000, 10001, 2.5] as [Double])
            description = "supervision.intensity=\(supervision["intensity"]!)"
        case 18:
            supervision["period_s"] = pick([0, 1e-12, 0.1, 86400, 86401] as [Double])
            description = "supervision.period_s=\(supervision["period_s"]!)"
        case 19:
            supervision["shutdown_timeout_s"] = pick([0, 1e-9, 0.1, 3600, 3601] as [Double])
            description = "supervision.shutdown_timeout_s=\(supervision["shutdown_timeout_s"]!)"
        case 20:
            status["interval_s"] = pick([0, 0.001, 0.5, 1, 86400, 86401] as [Double])
            description = "status.interval_s=\(status["interval_s"]!)"
        case 21:
            status[pick(["file", "pid_file"])] = pick(["", "dir/", "s.json", NSNull()] as [Any])
            description = "status file"
        case 22:
            let key = pick(["fps", "width", "jpeg_quality", "loop", "url", "id", "stall_timeout_s"])
            description = camera(key, pick(["5", true, NSNull(), [1], ["a": 1], 5.5] as [Any]))
        case 23:
            let key = pick(["heartbeat_s", "persistent", "urls", "exchange", "tls", "routing_key"])
            amqp[key] = pick(["5", false, NSNull(), [] as [Any], ["x": 1], 7] as [Any])
            description = "amqp.\(key) wrong type"
        case 24:
            document[pick(["colour", "$schema", "logging"])] = pick(["./supervision.schema.json", 5, ["level": "debug"], ["level": "loud"]] as [Any])
            description = "top-level key"
        case 25:
            let value = pick([true, false, "true", 1, 0, NSNull(), [true], ["on": true]] as [Any])
            document["memory"] = pick([["release_startup_pages": value], ["release_startup_pages": value, "swap": true]] as [[String: Any]])
            description = "memory \(document["memory"]!)"
        case 27:
            let key = pick(["fps", "jpeg_quality", "stall_timeout_s", "queue_capacity", "loop"])
            defaults[key] = pick([0, -1, 101, 1e-12, 1025, "5", true, NSNull()] as [Any])
            description = "camera_defaults.\(key)=\(defaults[key]!)"
        case 28:
            let key = pick(["id", "url", "password_file", "widht", "width"])
            defaults[key] = pick(["testsrc:", 320, "cam"] as [Any])
            description = "camera_defaults.\(key)"
        case 29:
            let name = pick(["rtsp_transport", "Bad", "", String(repeating: "o", count: 64), String(repeating: "o", count: 65), "listen", "a-b"])
            let value = pick(["udp", 5, NSNull(), String(repeating: "v", count: 1024), String(repeating: "v", count: 1025),
                              String(repeating: "é", count: 600), ["x": 1]] as [Any])
            var options = [name: value]
            if chance(50), !cameras.isEmpty {
                cameras[index]["input_options"] = pick([options, "udp", NSNull()] as [Any])
                description = "cameras[\(index)].input_options \(name)"
            } else {
                options.merge(defaults["input_options"] as? [String: Any] ?? [:]) { mine, _ in mine }
                defaults["input_options"] = options
                description = "camera_defaults.input_options \(name)"
            }
        case 30:
            let option = pick([("rtsp_flags", "listen"), ("rtsp_flags", "prefer_tcp"), ("protocol_whitelist", "file,http"),
                               ("protocol_whitelist", "tcp,udp")])
            if !cameras.isEmpty { cameras[index]["input_options"] = [option.0: option.1] }
            description = "cameras[\(index)].input_options.\(option.0)=\(option.1)"
        default:
            if !cameras.isEmpty { cameras[index]["widht"] = 320 }
            description = "unknown camera key"
        }
        if !defaults.isEmpty { document["camera_defaults"] = defaults }
        supervision["backoff"] = backoff
        document["amqp"] = amqp
        document["status"] = status
        document["supervision"] = supervision
        document["cameras"] = cameras
        return description
    }
}

/// What the running service would do with a document, judged without the configuration decoder:
/// the values are typed by hand and given to the pieces the service runs (the camera settings
/// mapping, `PipelineConfiguration.validate()`, `AMQPConfiguration.validate()`, the publisher's
/// routing-key limit, the supervisor's backoff and intensity preconditions).
enum RuntimeModel {
    /// `true` when every piece accepts, `false` when one refuses (or would trap), `nil` when a value
    /// has a type the service cannot even hold (its loader refuses those, like `check`).
    static func accepts(_ document: [String: Any]) -> Bool? {
        let amqpFields = document["amqp"] as? [String: Any] ?? [:]
        let supervision = document["supervision"] as? [String: Any] ?? [:]
        let backoffFields = supervision["backoff"] as? [String: Any] ?? [:]
        guard let cameraList = document["cameras"] as? [[String: Any]] else { return nil }
        if let memory = document["memory"] {
            // One boolean switch, and nothing else in the section.
            guard let fields = memory as? [String: Any], Set(fields.keys).isSubset(of: ["release_startup_pages"]),
                fields["release_startup_pages"].map({ $0 is Bool }) ?? true
            else { return nil }
        }
        var amqp = AppConfig.AMQP()
        guard let urls = amqpFields["urls"] == nil ? amqp.urls : amqpFields["urls"] as? [String],
            let heartbeat = number(amqpFields["heartbeat_s"], amqp.heartbeatS),
            let connect = number(amqpFields["connect_timeout_s"], amqp.connectTimeoutS),
            let confirm = number(amqpFields["confirm_timeout_s"], amqp.confirmTimeoutS),
            let window = number(amqpFields["in_flight_window"], Double(amqp.inFlightWindow)),
            let routingKey = amqpFields["routing_key"] == nil ? amqp.routingKey : amqpFields["routing_key"] as? String,
            let multiplier = number(backoffFields["multiplier"], 2), let jitter = number(backoffFields["jitter"], 0.25),
            let intensity = number(supervision["intensity"], 10)
        else { return nil }
        amqp.urls = urls
        amqp.heartbeatS = heartbeat
        amqp.connectTimeoutS = connect
        amqp.confirmTimeoutS = confirm
        guard let windowCount = Int(exactly: window) else { return nil }
        amqp.inFlightWindow = windowCount
        // Backoff and RestartIntensity trap on these (preconditions): a refusal.
        if !(multiplier >= 1 && (0...1).contains(jitter) && intensity >= 0) { return false }
        var ids = Set<String>()
        let defaults = document["camera_defaults"] as? [String: Any] ?? [:]
        for own in cameraList {
            let fields = defaults.merging(own) { _, mine in mine }
            guard let id = fields["id"] as? String, let url = fields["url"] as? String,
                let fps = number(fields["fps"], 5), let quality = number(fields["jpeg_quality"], 80),
                let capacity = number(fields["queue_capacity"], 8)
            else { return nil }
            var camera = AppConfig.Camera(id: id, url: url)
            // Options are strings the service hands to libav; a testsrc: camera opens no libav input.
            for options in [defaults["input_options"], own["input_options"]] {
                if let options, !(options is NSNull) {
                    guard let strings = options as? [String: Any], strings.values.allSatisfy({ $0 is String || $0 is NSNull }) else { return nil }
                }
            }
            camera.fps = fps
            camera.jpegQuality = Int(exactly: quality) ?? 80
            camera.queueCapacity = Int(exactly: capacity) ?? 8
            // These three may be null (unset).
            if let width = fields["width"], !(width is NSNull) { guard let w = width as? Int else { return nil }; camera.width = w }
            if let height = fields["height"], !(height is NSNull) { guard let h = height as? Int else { return nil }; camera.height = h }
            if let stall = fields["stall_timeout_s"], !(stall is NSNull) {
                guard let s = number(stall, 0) else { return nil }
                camera.stallTimeoutS = s
            }
            // Two subtrees with one id cannot both be children of the root.
            if !ids.insert(id).inserted { return false }
            if camera.routingKey(template: routingKey).utf8.count > AMQPConfiguration.maximumRoutingKeyBytes { return false }
            do {
                try CameraSettings.pipeline(camera).validate()
                try CameraSettings.amqp(amqp, cameraID: id).validate()
            } catch {
                return false
            }
        }
        return true
    }

    /// A JSON number as a `Double`, `fallback` when absent, `nil` when another type.
    private static func number(_ value: Any?, _ fallback: Double) -> Double? {
        guard let value else { return fallback }
        if value is Bool { return nil }
        if let number = value as? Double { return number }
        if let number = value as? Int { return Double(number) }
        return nil
    }
}
