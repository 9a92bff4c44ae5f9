/// Hides passwords in URLs before they reach a log line, an error or a status. The one
/// implementation that the broker side, the camera side and the app all use.
public enum Redaction {
    /// Returns `text` with the password of every `scheme://user:password@` occurrence replaced by `***`.
    ///
    /// `rtsp://admin:secret@cam/stream` becomes `rtsp://admin:***@cam/stream`; the user name stays
    /// (it helps diagnosis), a URL without a password and text without a URL are returned unchanged.
    public static func redactingSecrets(in text: String) -> String {
        var chars = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(chars.count)
        var i = 0
        let separator = Array("://".utf8)
        while i < chars.count {
            if i + 3 <= chars.count, chars[i] == separator[0], chars[i + 1] == separator[1], chars[i + 2] == separator[2] {
                output.append(contentsOf: separator)
                i += 3
                // The authority ends at '/', '?', '#' or whitespace; the userinfo ends at its last '@'.
                var end = i
                var lastAt: Int?
                while end < chars.count, !isAuthorityEnd(chars[end]) {
                    if chars[end] == UInt8(ascii: "@") { lastAt = end }
                    end += 1
                }
                if let at = lastAt, let colon = chars[i..<at].firstIndex(of: UInt8(ascii: ":")) {
                    output.append(contentsOf: chars[i...colon])
                    output.append(contentsOf: Array("***".utf8))
                    output.append(contentsOf: chars[at..<end])
                    i = end
                }
                continue
            }
            output.append(chars[i])
            i += 1
        }
        chars = output
        return String(decoding: chars, as: UTF8.self)
    }

    private static func isAuthorityEnd(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || c == UInt8(ascii: "#") || c == UInt8(ascii: " ")
            || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "'") || c == UInt8(ascii: "\"")
    }
}
