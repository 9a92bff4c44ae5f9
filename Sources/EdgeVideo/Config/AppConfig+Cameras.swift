import Foundation
import VideoPipeline

extension AppConfig {
    /// Reads `cameras`: each entry's keys, ranges and URL, and that ids are unique.
    static func readCameras(_ top: [String: JSONValue], _ reader: ConfigReader, _ files: ConfigFiles) -> [Camera] {
        guard let entries = reader.array(top, "cameras", at: "") else {
            reader.fail("cameras", "required (an array of cameras)")
            return []
        }
        var firstIndex: [String: Int] = [:]
        var cameras: [Camera] = []
        for (index, entry) in entries.enumerated() {
            let path = "cameras[\(index)]"
            guard case .object = entry else {
                reader.fail(path, "must be an object, not \(entry.typeName)")
                continue
            }
            let fields = reader.object(entry, at: path, allowed: allowedKeys["cameras[]"]!)
            let id = reader.string(fields, "id", at: path, default: nil)
            var url = reader.string(fields, "url", at: path, default: nil)
            let passwordFile = reader.string(fields, "password_file", at: path, default: nil)
            if let id {
                if !Self.isValidID(id) {
                    reader.fail("\(path).id", "must be 1-64 characters of A-Z a-z 0-9 . _ -")
                } else if let first = firstIndex[id] {
                    reader.fail("\(path).id", "duplicate id \"\(id)\" (also cameras[\(first)])")
                } else {
                    firstIndex[id] = index
                }
            } else {
                reader.fail("\(path).id", "required")
            }
            if let given = url {
                url = cameraURL(given, passwordFile: passwordFile, at: path, reader, files)
            } else {
                reader.fail("\(path).url", "required")
            }
            var camera = Camera(id: id ?? "", url: url ?? "")
            camera.passwordFile = passwordFile
            camera.fps = reader.number(
                fields, "fps", at: path, default: camera.fps, .above(0), .atLeast(PipelineConfiguration.minimumFPS), .atMost(120))!
            camera.width = reader.integer(fields, "width", at: path, default: nil, .atLeast(16), .atMost(7680))
            camera.height = reader.integer(fields, "height", at: path, default: nil, .atLeast(16), .atMost(4320))
            for (key, value) in [("width", camera.width), ("height", camera.height)] where (value ?? 0) % 2 != 0 {
                reader.fail("\(path).\(key)", "must be even")
            }
            if (camera.width == nil) != (camera.height == nil) {
                reader.fail(path, "width and height go together")
            }
            camera.jpegQuality =
                reader.integer(fields, "jpeg_quality", at: path, default: camera.jpegQuality, .atLeast(1), .atMost(100))!
            camera.stallTimeoutS =
                reader.number(fields, "stall_timeout_s", at: path, default: nil, .above(0), .atLeast(0.1), .atMost(3600))
            camera.queueCapacity =
                reader.integer(fields, "queue_capacity", at: path, default: camera.queueCapacity, .atLeast(1), .atMost(1024))!
            camera.loop = reader.bool(fields, "loop", at: path, default: camera.loop)
            cameras.append(camera)
        }
        return cameras
    }

    /// `url` checked by the capture module's own parser, with the password of `password_file` added.
    private static func cameraURL(
        _ url: String, passwordFile: String?, at path: String, _ reader: ConfigReader, _ files: ConfigFiles
    ) -> String {
        if let problem = PipelineConfiguration.urlProblem(url) {
            reader.fail("\(path).url", problem)
            return url
        }
        guard let passwordFile else { return url }
        let lower = url.lowercased()
        guard ["rtsp://", "rtsps://", "http://", "https://"].contains(where: { lower.hasPrefix($0) }) else {
            reader.fail("\(path).password_file", "only rtsp(s):// and http(s):// cameras take a password")
            return url
        }
        guard let password = files.password(passwordFile, at: "\(path).password_file", reader) else { return url }
        switch ConfigFiles.insertingPassword(password, into: url) {
        case .success(let withPassword):
            return withPassword
        case .failure(let problem):
            reader.fail("\(path).url", problem.message)
            return url
        }
    }

    /// Whether `id` is 1-64 characters of `[A-Za-z0-9._-]`.
    public static func isValidID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default:
                    false
                }
            }
    }
}
