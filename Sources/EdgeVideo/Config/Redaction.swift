/// Hides secrets before text reaches a log, an error or the status: the password of every
/// `scheme://user:password@host` URL becomes `***`.
public enum Redaction {
    /// `url` with its password replaced by `***` (the user name stays, it helps diagnosis).
    public static func redact(_ url: String) -> String {
        redactURLs(in: url)
    }

    /// `text` with the password of every URL inside it replaced by `***`.
    public static func redactURLs(in text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let marker = rest.range(of: "://") {
            output += rest[..<marker.upperBound]
            rest = rest[marker.upperBound...]
            // The authority ends at the first '/', '?', '#' or whitespace; credentials end at its last '@'.
            let authorityEnd = rest.firstIndex { "/?#".contains($0) || $0.isWhitespace } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    output += userInfo[..<colon] + ":***"
                } else {
                    output += userInfo
                }
                rest = rest[at...]
            }
        }
        return output + rest
    }
}
