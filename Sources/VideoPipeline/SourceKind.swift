/// What a camera URL points at, parsed once before opening.
///
/// This is the one place that decides which camera URLs are usable: capture parses with it, and
/// the appliance's configuration check asks it through ``PipelineConfiguration/urlProblem(_:)``.
enum SourceKind: Hashable, Sendable {
    case rtsp(String)
    case http(String)
    case file(path: String)
    case v4l2(device: String)
    case testPattern(TestPatternOptions)

    /// Parses `url`; a malformed or unsupported URL throws `invalidConfiguration`.
    init(url: String) throws {
        // Messages never quote the URL: one that does not parse may hide its password from redaction.
        let lower = url.lowercased()
        if url.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            throw PipelineError(.invalidConfiguration, "URL contains a space or control character")
        }
        if lower.hasPrefix("rtsp://") || lower.hasPrefix("rtsps://") {
            guard Self.hasHost(url) else { throw PipelineError(.invalidConfiguration, "URL has no host") }
            self = .rtsp(url)
        } else if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
            guard Self.hasHost(url) else { throw PipelineError(.invalidConfiguration, "URL has no host") }
            self = .http(url)
        } else if lower.hasPrefix("file://") {
            let path = String(url.dropFirst("file://".count))
            guard path.hasPrefix("/") else {
                throw PipelineError(.invalidConfiguration, "file URL needs an absolute path (file:///path)")
            }
            self = .file(path: path.removingPercentEscapes())
        } else if url.hasPrefix("/dev/") {
            let number = url.dropFirst("/dev/video".count)
            guard url.hasPrefix("/dev/video"), !number.isEmpty, number.utf8.allSatisfy({ (48...57).contains($0) }) else {
                throw PipelineError(.invalidConfiguration, "a device must be /dev/videoN")
            }
            self = .v4l2(device: url)
        } else if lower.hasPrefix("testsrc:") {
            self = .testPattern(try TestPatternOptions(query: String(url.dropFirst("testsrc:".count))))
        } else {
            throw PipelineError(
                .invalidConfiguration,
                "unsupported URL (expected rtsp://, rtsps://, http(s)://, file://, /dev/videoN or testsrc:)")
        }
    }

    /// Whether the authority after `scheme://` names a host.
    private static func hasHost(_ url: String) -> Bool {
        guard let range = url.range(of: "://") else { return false }
        let authority = url[range.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        let host = hostPort.hasPrefix("[") ? hostPort : hostPort.split(separator: ":", omittingEmptySubsequences: false).first ?? ""
        return !host.isEmpty
    }
}

/// Options of a `testsrc:` URL: `testsrc:?size=1280x720&rate=15`.
struct TestPatternOptions: Hashable, Sendable {
    var width = 1280
    var height = 720
    var rate = 15.0

    init(width: Int = 1280, height: Int = 720, rate: Double = 15) {
        self.width = width
        self.height = height
        self.rate = rate
    }

    /// Parses `?size=WxH&rate=R` (both optional).
    init(query: String) throws {
        guard query.isEmpty || query.hasPrefix("?") else {
            throw PipelineError(.invalidConfiguration, "testsrc options go after ? (testsrc:?size=640x360&rate=15)")
        }
        let body = query.dropFirst()
        for pair in body.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let value = parts.count == 2 ? parts[1] : ""
            switch parts[0] {
            case "size":
                let dims = value.lowercased().split(separator: "x").compactMap { Int($0) }
                guard dims.count == 2, (16...8192).contains(dims[0]), (16...8192).contains(dims[1]),
                    dims[0] % 2 == 0, dims[1] % 2 == 0
                else { throw PipelineError(.invalidConfiguration, "testsrc size must be WxH, even, 16...8192: \(value)") }
                (width, height) = (dims[0], dims[1])
            case "rate":
                guard let r = Double(value), r > 0, r <= 240 else {
                    throw PipelineError(.invalidConfiguration, "testsrc rate must be within (0, 240]: \(value)")
                }
                rate = r
            default:
                throw PipelineError(.invalidConfiguration, "unknown testsrc option '\(parts[0])' (known: size, rate)")
            }
        }
    }
}

extension String {
    /// Decodes `%XX` escapes (file URLs); invalid escapes are kept as they are.
    fileprivate func removingPercentEscapes() -> String {
        var bytes: [UInt8] = []
        var it = Array(utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%"), it.count >= 2,
                let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
