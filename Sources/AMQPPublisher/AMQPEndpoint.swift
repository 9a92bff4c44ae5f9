import SecretRedaction
/// One parsed `amqp://` or `amqps://` URL: `amqp[s]://user:password@host:port/vhost`.
///
/// Defaults follow the RabbitMQ URI spec: user and password `guest`, port 5672 (5671 for
/// `amqps`), vhost `/` when the path is empty. The vhost is percent-decoded (`%2f` is `/`).
public struct AMQPEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// `true` for `amqps://`.
    public var isTLS: Bool
    /// The host name or IP address (IPv6 without brackets).
    public var host: String
    /// The TCP port.
    public var port: Int
    /// The virtual host.
    public var vhost: String
    /// The user name.
    public var user: String
    /// The password. Never printed: ``description`` shows it as `***`.
    public var password: String

    /// Parses an AMQP URL.
    /// - Throws: ``AMQPPublisherError/Code/invalidURL`` naming the redacted URL.
    public init(url: String) throws {
        func fail(_ why: String) -> AMQPPublisherError {
            AMQPPublisherError(.invalidURL, "\(why) in AMQP URL \(Redaction.redactingSecrets(in: url))")
        }
        // Without a scheme the URL's userinfo cannot be found for redaction: do not quote it.
        guard url.hasPrefix("amqp://") || url.hasPrefix("amqps://") else {
            throw AMQPPublisherError(.invalidURL, "scheme must be amqp:// or amqps:// in an AMQP URL")
        }
        let rest: Substring
        if url.hasPrefix("amqp://") {
            isTLS = false
            rest = url.dropFirst(7)
        } else if url.hasPrefix("amqps://") {
            isTLS = true
            rest = url.dropFirst(8)
        } else {
            throw fail("scheme must be amqp:// or amqps://")
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        // An `@` past the host is a password holding a raw `/`, `?` or `#`: parsed, it would put
        // part of the password in the host or vhost, which are shown in logs.
        guard !rest.dropFirst(authority.count).contains("@") else {
            throw fail("'@' after the host (write '/', '?', '#' and '@' in the password as %2F, %3F, %23, %40)")
        }
        let path = rest.dropFirst(authority.count).prefix { $0 != "?" && $0 != "#" }
        var hostPort = authority
        user = "guest"
        password = "guest"
        if let at = authority.lastIndex(of: "@") {
            let info = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            let colon = info.firstIndex(of: ":")
            guard let u = percentDecoded(info[..<(colon ?? info.endIndex)]) else { throw fail("bad escape in user") }
            user = u
            if let colon {
                guard let p = percentDecoded(info[info.index(after: colon)...]) else { throw fail("bad escape in password") }
                password = p
            }
        }
        var portText: Substring = ""
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw fail("unclosed [ in host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw fail("bad host") }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = String(hostPort)
        }
        guard !host.isEmpty else { throw fail("missing host") }
        if portText.isEmpty {
            port = isTLS ? 5671 : 5672
        } else {
            guard let p = Int(portText), (1...65535).contains(p) else { throw fail("bad port") }
            port = p
        }
        if path.isEmpty || path == "/" {
            vhost = "/"
        } else {
            guard let v = percentDecoded(path.dropFirst()) else { throw fail("bad escape in vhost") }
            vhost = v
        }
    }

    /// The URL with the password shown as `***`.
    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        let v = vhost == "/" ? "%2f" : vhost
        return "\(isTLS ? "amqps" : "amqp")://\(user):***@\(h):\(port)/\(v)"
    }
}

private func percentDecoded(_ text: Substring) -> String? {
    var bytes: [UInt8] = []
    var iterator = text.utf8.makeIterator()
    while let b = iterator.next() {
        guard b == UInt8(ascii: "%") else { bytes.append(b); continue }
        guard let h = iterator.next().flatMap(hexValue), let l = iterator.next().flatMap(hexValue) else { return nil }
        bytes.append(h << 4 | l)
    }
    return String(validating: bytes, as: UTF8.self)
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}
