/// The rules for a camera's `input_options`: the libav options handed to `avformat_open_input`
/// (docs/configuration-fleet.md, "input_options").
///
/// Names are 1-64 characters of `[a-z0-9_]`, values at most 1,024 bytes without NUL. A few options
/// are refused because they would turn a camera input into something else: a server
/// (`listen`, `rtsp_flags` with `listen`), or a reader of the appliance's own files
/// (`protocol_whitelist` naming a local protocol). Values of options that can hold a secret are
/// shown as `***` wherever a configuration is printed.
package enum InputOptions {
    /// The longest value accepted, in UTF-8 bytes.
    package static let maximumValueBytes = 1024

    /// Fragments of an option name that mark its value as a secret (`***` when shown).
    package static let secretNameFragments = ["password", "auth", "key", "token", "cookie", "headers"]

    /// Protocols a network camera's `protocol_whitelist` may name: the ones RTSP, HTTP and HLS
    /// inputs open. `file`, `pipe`, `fd`, `subfile`, `concat`, `cache`, `data` and the like would let
    /// a playlist or an SDP served by the camera read files of the appliance.
    package static let networkProtocols: Set<String> = [
        "http", "https", "httpproxy", "tcp", "tls", "udp", "rtp", "srtp", "crypto", "rtsp", "rtsps", "hls",
    ]

    /// Whether the value of option `name` may hold a secret.
    package static func isSecret(_ name: String) -> Bool {
        secretNameFragments.contains { name.contains($0) }
    }

    /// `options` with every secret value replaced by `***`.
    package static func redacted(_ options: [String: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: options.map { ($0.key, isSecret($0.key) ? "***" : $0.value) })
    }

    /// Why option `name` with `value` is refused for a source at `url`, or `nil`: every rule of
    /// this type, as `edge-video probe --option` applies them.
    package static func problem(name: String, value: String, url: String) -> String? {
        nameProblem(name) ?? valueProblem(value) ?? sourceProblem(name: name, value: value, url: url)
    }

    /// Why `name` cannot be an option name, or `nil`.
    static func nameProblem(_ name: String) -> String? {
        let valid = (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
        if !valid { return "option names are 1-64 characters of a-z 0-9 _" }
        if name == "listen" { return "refused: listen makes the input a server" }
        return nil
    }

    /// Why `value` cannot be the value of any option, or `nil`. Never quotes the value.
    static func valueProblem(_ value: String) -> String? {
        if value.utf8.count > maximumValueBytes { return "must be at most \(maximumValueBytes) bytes" }
        if value.utf8.contains(0) { return "must not contain a NUL character" }
        return nil
    }

    /// Why option `name` with `value` is refused for a camera whose source is `url`, or `nil`.
    /// Never quotes a secret value.
    static func sourceProblem(name: String, value: String, url: String) -> String? {
        switch name {
        case "rtsp_flags" where value.split(whereSeparator: { "+-|, ".contains($0) }).contains("listen"):
            return "refused: the listen flag makes the input an RTSP server"
        case "protocol_whitelist":
            let lower = url.lowercased()
            let network = ["rtsp://", "rtsps://", "http://", "https://"].contains { lower.hasPrefix($0) }
            guard network else { return "refused: only network cameras (rtsp, http) take it" }
            let local = value.split(separator: ",").map { String($0) }.filter { !networkProtocols.contains($0) }
            if !local.isEmpty {
                return "refused: names protocols that are not network protocols (\(local.sorted().joined(separator: ", "))); allowed: \(networkProtocols.sorted().joined(separator: ", "))"
            }
            return nil
        default:
            return nil
        }
    }
}
