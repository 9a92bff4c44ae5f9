import Foundation
import VideoPipeline

extension AppConfig {
    /// Reads `camera_defaults` and `cameras`: each entry's keys, ranges and URL, and that ids are
    /// unique. Each camera is `camera_defaults` overridden key by key by its own keys
    /// (`input_options` merged option by option); a problem is reported at the path where the
    /// offending value was written (`camera_defaults.fps` or `cameras[3].fps`), once.
    static func readCameras(_ top: [String: JSONValue], _ reader: ConfigReader, _ files: ConfigFiles) -> [Camera] {
        let defaults = reader.object(top["camera_defaults"], at: "camera_defaults", allowed: allowedKeys["camera_defaults"]!)
        // Read alone first, so a bad default is reported even when every camera overrides it.
        var template = Camera(id: "", url: "")
        readSettings(defaults, into: &template, origin: { _ in "camera_defaults" }, reader)
        let defaultSizeIsAPair = checkSizePair(defaults, at: "camera_defaults", reader)
        let defaultOptions = readInputOptions(defaults["input_options"], at: "camera_defaults.input_options", reader)
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
            let merged = defaults.merging(fields) { _, own in own }
            readSettings(merged, into: &camera, origin: { fields[$0] == nil ? "camera_defaults" : path }, reader)
            if checkSizePair(fields, at: path, reader), defaultSizeIsAPair, (camera.width == nil) != (camera.height == nil) {
                reader.fail(path, "width and height go together once camera_defaults is merged (override both or neither)")
            }
            let own = readInputOptions(fields["input_options"], at: "\(path).input_options", reader)
            camera.inputOptions = mergedInputOptions(defaultOptions, own, cameraPath: path, url: camera.url, reader)
            cameras.append(camera)
        }
        return cameras
    }

    /// Reads the settings a camera shares with `camera_defaults` from `fields` into `camera`;
    /// `origin(key)` is the object a key was written in, for the problems' paths.
    private static func readSettings(
        _ fields: [String: JSONValue], into camera: inout Camera, origin: (String) -> String, _ reader: ConfigReader
    ) {
        camera.fps = reader.number(
            fields, "fps", at: origin("fps"), default: camera.fps, .above(0), .atLeast(PipelineConfiguration.minimumFPS), .atMost(120))!
        camera.width = reader.integer(fields, "width", at: origin("width"), default: nil, .atLeast(16), .atMost(7680))
        camera.height = reader.integer(fields, "height", at: origin("height"), default: nil, .atLeast(16), .atMost(4320))
        for (key, value) in [("width", camera.width), ("height", camera.height)] where (value ?? 0) % 2 != 0 {
            reader.fail("\(origin(key)).\(key)", "must be even")
        }
        camera.jpegQuality = reader.integer(
            fields, "jpeg_quality", at: origin("jpeg_quality"), default: camera.jpegQuality, .atLeast(1), .atMost(100))!
        camera.stallTimeoutS = reader.number(
            fields, "stall_timeout_s", at: origin("stall_timeout_s"), default: nil, .above(0), .atLeast(0.1), .atMost(3600))
        camera.queueCapacity = reader.integer(
            fields, "queue_capacity", at: origin("queue_capacity"), default: camera.queueCapacity, .atLeast(1), .atMost(1024))!
        camera.loop = reader.bool(fields, "loop", at: origin("loop"), default: camera.loop)
    }

    /// The size is a pair: an object that sets one of `width` and `height` sets the other too.
    /// - Returns: whether it does.
    private static func checkSizePair(_ fields: [String: JSONValue], at path: String, _ reader: ConfigReader) -> Bool {
        let given = ["width", "height"].filter { key in fields[key].map { $0 != .null } ?? false }
        if given.count == 1 { reader.fail(path, "width and height go together") }
        return given.count != 1
    }

    /// The `input_options` object at `path`: each name with its value, `nil` for a `null` (which
    /// in a camera removes an option of `camera_defaults`).
    private static func readInputOptions(_ value: JSONValue?, at path: String, _ reader: ConfigReader) -> [String: String?] {
        switch value {
        case nil, .null?:
            return [:]
        case .object(let fields)?:
            var options: [String: String?] = [:]
            for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
                let here = "\(path).\(name)"
                if let problem = InputOptions.nameProblem(name) {
                    reader.fail(here, problem)
                    continue
                }
                switch value {
                case .string(let text):
                    if let problem = InputOptions.valueProblem(text) { reader.fail(here, problem) } else { options[name] = .some(text) }
                case .null:
                    options[name] = .some(nil)
                default:
                    reader.fail(here, "must be a string (libav parses it), not \(value.typeName)")
                }
            }
            return options
        case let other?:
            reader.fail(path, "must be an object of option names to strings, not \(other.typeName)")
            return [:]
        }
    }

    /// `camera_defaults.input_options` overridden by the camera's own, each checked against the
    /// camera's source at the path it was written.
    private static func mergedInputOptions(
        _ defaults: [String: String?], _ own: [String: String?], cameraPath: String, url: String, _ reader: ConfigReader
    ) -> [String: String] {
        var options: [String: String] = [:]
        var origin: [String: String] = [:]
        for (name, value) in defaults {
            if let value { (options[name], origin[name]) = (value, "camera_defaults.input_options") }
        }
        for (name, value) in own {
            options[name] = value
            origin[name] = "\(cameraPath).input_options"
        }
        for (name, value) in options.sorted(by: { $0.key < $1.key }) {
            if let problem = InputOptions.sourceProblem(name: name, value: value, url: url) {
                reader.fail("\(origin[name]!).\(name)", problem)
            }
        }
        return options
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
    package static func isValidID(_ id: String) -> Bool {
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
