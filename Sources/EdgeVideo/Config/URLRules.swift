import Foundation
import SecretRedaction

/// Checks the URLs a configuration may hold and explains what is wrong, never echoing a password.
public enum URLRules {
    /// The camera URL schemes the capture stage understands.
    public static let cameraSchemes = ["rtsp", "rtsps", "http", "https", "file"]

    /// Why `url` is not a usable camera source, or `nil` when it is.
    public static func cameraProblem(_ url: String) -> String? {
        if url.hasPrefix("/dev/") {
            let name = url.dropFirst("/dev/".count)
            return name.hasPrefix("video") && !name.dropFirst(5).isEmpty && name.dropFirst(5).allSatisfy(\.isNumber)
                ? nil : "a device must be /dev/videoN"
        }
        if url.hasPrefix("testsrc:") {
            return testSourceProblem(url)
        }
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased() else {
            return "not a URL (\(Redaction.redactingSecrets(in: url)))"
        }
        guard cameraSchemes.contains(scheme) else {
            return "unsupported scheme \"\(scheme)\" (use rtsp, rtsps, http, https, file, /dev/videoN or testsrc:)"
        }
        if scheme == "file" {
            return parts.path.isEmpty ? "file:// URL needs a path" : nil
        }
        return (parts.host ?? "").isEmpty ? "\(scheme) URL needs a host" : nil
    }

    /// Why `url` is not a usable broker URL, or `nil` when it is.
    public static func brokerProblem(_ url: String) -> String? {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased() else {
            return "not a URL (\(Redaction.redactingSecrets(in: url)))"
        }
        guard scheme == "amqp" || scheme == "amqps" else {
            return "unsupported scheme \"\(scheme)\" (use amqp or amqps)"
        }
        guard !(parts.host ?? "").isEmpty else { return "\(scheme) URL needs a host" }
        if let port = parts.port, !(1...65535).contains(port) { return "port must be 1-65535" }
        return nil
    }

    /// Checks `testsrc:?size=WxH&rate=N`.
    private static func testSourceProblem(_ url: String) -> String? {
        let rest = url.dropFirst("testsrc:".count)
        if rest.isEmpty { return nil }
        guard rest.hasPrefix("?"), let items = URLComponents(string: "x:" + rest)?.queryItems else {
            return "testsrc options go after ? (testsrc:?size=640x360&rate=15)"
        }
        for item in items {
            let value = item.value ?? ""
            switch item.name {
            case "size":
                let sides = value.split(separator: "x")
                if sides.count != 2 || sides.contains(where: { Int($0).map { !(16...7680).contains($0) } ?? true }) {
                    return "testsrc size must be WIDTHxHEIGHT (16-7680)"
                }
            case "rate":
                if (Double(value).map { !($0 > 0 && $0 <= 120) }) ?? true { return "testsrc rate must be > 0 and <= 120" }
            default:
                continue
            }
        }
        return nil
    }
}
