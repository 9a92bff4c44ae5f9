/// The request line and headers of one HTTP/1.x request; the endpoint reads nothing else.
package struct HTTPRequestHead: Sendable, Equatable {
    /// `GET`, `HEAD`, ... as sent (methods are case-sensitive).
    package var method: String
    /// The path of the target, without its query; always starts with `/`, never decoded.
    package var path: String
    /// `HTTP/1.0` or `HTTP/1.1`.
    var version: String
    /// Header fields in order, names lowercased.
    package var headers: [(name: String, value: String)]

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.version == rhs.version
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    /// What the bytes received so far amount to.
    enum Parse: Equatable {
        /// The head has not ended yet and is within the limit: read more.
        case incomplete
        /// A complete, well-formed head.
        case complete(HTTPRequestHead)
        /// Answer with this status and close (400, 431 or 505).
        case rejected(HTTPStatus)
    }

    /// Parses the head at the start of `buffer` (it ends with an empty line).
    ///
    /// - Parameter limit: the most bytes the head may take, its final empty line included; a
    ///   longer one is rejected with 431 as soon as `buffer` passes the limit, complete or not.
    static func parse(_ buffer: [UInt8], limit: Int) -> Parse {
        guard let end = endOfHead(in: buffer) else {
            return buffer.count > limit ? .rejected(.headerFieldsTooLarge) : .incomplete
        }
        guard end <= limit else { return .rejected(.headerFieldsTooLarge) }
        // Only visible ASCII, spaces, tabs and line ends: no NUL, no bytes above 0x7E.
        let head = buffer[..<end]
        guard head.allSatisfy({ $0 == 9 || $0 == 10 || $0 == 13 || (32...126).contains($0) }) else {
            return .rejected(.badRequest)
        }
        var lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        while lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { return .rejected(.badRequest) }
        let parts = lines[0].split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter && $0.isUppercase }),
            parts[1].hasPrefix("/")
        else { return .rejected(.badRequest) }
        let version = String(parts[2])
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return .rejected(version.hasPrefix("HTTP/") ? .versionNotSupported : .badRequest)
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            // No obsolete line folding, no bare line feeds, a non-empty token before the colon.
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex, !line.contains("\n"),
                !line.hasPrefix(" "), !line.hasPrefix("\t"), !line[..<colon].contains(" ")
            else { return .rejected(.badRequest) }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: [" ", "\t"])
            headers.append((line[..<colon].lowercased(), value))
        }
        let target = parts[1]
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? target
        return .complete(HTTPRequestHead(method: String(parts[0]), path: String(path), version: version, headers: headers))
    }

    /// The index just past the head's terminating `\r\n\r\n`, or `nil` if it has not arrived.
    private static func endOfHead(in buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 3..<buffer.count where buffer[i] == 10 && buffer[i - 1] == 13 && buffer[i - 2] == 10 && buffer[i - 3] == 13 {
            return i + 1
        }
        return nil
    }
}
