/// Hides passwords in URLs before they reach a log line, an error or a status. The one
/// implementation that the broker side, the camera side and the app all use.
public enum Redaction {
    /// Returns `text` with the password of every `scheme://user:password@` occurrence replaced by `***`.
    ///
    /// `rtsp://admin:secret@cam/stream` becomes `rtsp://admin:***@cam/stream`; the user name stays
    /// (it helps diagnosis), a URL without a password and text without a URL are returned unchanged.
    ///
    /// The text need not be a URL that parses. A URL parser ends the userinfo at the last `@`
    /// before the first `/` after `//`; a password holding a raw `/`, `?`, `#`, `@`, space or
    /// `://` would move that `/`, so this is more cautious: after `scheme://`, the userinfo runs
    /// from the first `:` to the **last** `@` on the same line. It stops earlier only at a
    /// following URL that starts after a space and comes after a complete userinfo (an `@`
    /// followed by a host name and a `/`, `?`, `#`, space or punctuation), as in
    /// `amqp://u:***@b1/: refused; amqp://u:***@b2/: refused`. When in doubt it masks too much,
    /// never too little: in `rtsp://cam:554/s failed for a@b`, everything from `554` to `a`
    /// becomes `***`. The one password it cannot tell from text is one that itself holds
    /// `@host/`, then a space and another `scheme://`.
    public static func redactingSecrets(in text: String) -> String {
        let bytes = Array(text.utf8)
        guard let first = separator(in: bytes, from: 0) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var i = 0
        var next: Int? = first
        while let separator = next {
            let start = separator + 3
            output.append(contentsOf: bytes[i..<start])
            let end = reach(of: start, in: bytes)
            if let at = bytes[start..<end].lastIndex(of: atSign),
                let colon = bytes[start..<at].firstIndex(of: colonByte)
            {
                output.append(contentsOf: bytes[start...colon])
                output.append(contentsOf: mask)
                i = at
            } else {
                i = start
            }
            next = self.separator(in: bytes, from: i)
        }
        output.append(contentsOf: bytes[i...])
        return String(decoding: output, as: UTF8.self)
    }

    private static let atSign = UInt8(ascii: "@")
    private static let colonByte = UInt8(ascii: ":")
    /// What may follow a host name: the end of the authority, a space, or punctuation of prose.
    private static let hostEnds = Array("/?# \t'\",;)>]".utf8)
    private static let mask = Array("***".utf8)

    /// Where the userinfo of the URL whose authority begins at `start` can end at the latest:
    /// the end of the line, or an earlier URL that stands on its own.
    private static func reach(of start: Int, in bytes: [UInt8]) -> Int {
        let lineEnd = bytes[start...].firstIndex { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") } ?? bytes.count
        var search = start
        while let next = separator(in: bytes, from: search), next < lineEnd {
            let schemeStart = self.schemeStart(before: next, in: bytes, notBefore: start)
            if schemeStart > start, isSpace(bytes[schemeStart - 1]), isComplete(bytes[start..<schemeStart]) {
                return schemeStart
            }
            search = next + 3
        }
        return lineEnd
    }

    /// Whether `segment`, the text from an authority to the next URL, holds no password at all
    /// (no `:`) or ends its userinfo for sure: its last `@` is followed by a host name and then
    /// an end of authority or text.
    private static func isComplete(_ segment: ArraySlice<UInt8>) -> Bool {
        guard let at = segment.lastIndex(of: atSign) else { return !segment.contains(colonByte) }
        let host = segment[(at + 1)...].prefix(while: isHostByte)
        guard !host.isEmpty else { return false }
        guard host.endIndex < segment.endIndex else { return true }
        return hostEnds.contains(segment[host.endIndex])
    }

    /// The index of the next `://` at or after `index`.
    private static func separator(in bytes: [UInt8], from index: Int) -> Int? {
        var i = index
        while i + 3 <= bytes.count {
            if bytes[i] == colonByte, bytes[i + 1] == UInt8(ascii: "/"), bytes[i + 2] == UInt8(ascii: "/") { return i }
            i += 1
        }
        return nil
    }

    /// The first byte of the scheme that ends at `separator` (letters, digits, `+`, `-`, `.`).
    private static func schemeStart(before separator: Int, in bytes: [UInt8], notBefore lower: Int) -> Int {
        var i = separator
        while i > lower, isSchemeByte(bytes[i - 1]) { i -= 1 }
        return i
    }

    private static func isSchemeByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
            || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
    }

    private static func isSpace(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t")
    }

    private static func isHostByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
            || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") || c == UInt8(ascii: ":")
            || c == UInt8(ascii: "[") || c == UInt8(ascii: "]") || c == UInt8(ascii: "%")
    }
}
