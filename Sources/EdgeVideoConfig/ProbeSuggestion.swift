import Foundation
import SecretRedaction
import VideoPipeline

/// The camera entry `edge-video probe` proposes for a source it measured: ready to paste into
/// `cameras`, with no password in it (a URL's password becomes a suggested `password_file`).
package enum ProbeSuggestion {
    /// The entry for `url` (as given, password and all) opened with `options`, as JSON.
    package static func cameraEntry(url: String, options: [String: String], report: SourceProbe.Report) -> [String: Any] {
        let redacted = Redaction.redactingSecrets(in: url)
        let hadPassword = redacted != url
        let id = suggestedID(url: redacted)
        var entry: [String: Any] = ["id": id, "url": hadPassword ? redacted.replacingOccurrences(of: ":***@", with: "@") : url]
        if hadPassword { entry["password_file"] = "\(id).password" }
        // Our default rate, or the source's when it is slower.
        if let fps = report.measuredFPS ?? report.declaredFPS, fps > 0, fps < 5 {
            entry["fps"] = (fps * 100).rounded() / 100
        }
        if !options.isEmpty { entry["input_options"] = InputOptions.redacted(options) }
        return entry
    }

    /// A camera id from the URL: its last path component, else its host, in `[A-Za-z0-9._-]`.
    static func suggestedID(url: String) -> String {
        let afterScheme = url.range(of: "://").map { String(url[$0.upperBound...]) } ?? url
        let withoutQuery = afterScheme.prefix { $0 != "?" && $0 != "#" }
        let parts = withoutQuery.split(separator: "/")
        let host = parts.first.map { $0.split(separator: "@").last ?? $0 }.map { $0.split(separator: ":").first ?? $0 } ?? ""
        let last = parts.count > 1 ? parts.last! : host
        let base = String(last).split(separator: ".").first.map(String.init) ?? String(last)
        let cleaned = String(base.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" }.prefix(64))
        return AppConfig.isValidID(cleaned) ? cleaned : "camera"
    }
}
