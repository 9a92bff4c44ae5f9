import EdgeVideoConfig
import EdgeVideoHTTP
import Foundation

/// Checks a request's credentials against `http.auth`: a bearer token, HTTP basic, or either.
///
/// A request passes with exactly one `Authorization` header whose scheme (any letter case) is a
/// configured one and whose credentials match; secrets are compared in constant time
/// (``Secret/matches(_:)``), and the user name and password of basic are both compared always.
/// Nothing of what a client sent, and nothing of the secrets, is ever logged or echoed.
struct HTTPAuthentication: Sendable {
    /// The bearer token, when `http.auth.token_file` is set.
    let token: Secret?
    /// The basic credentials, when `http.auth.user` and `password_file` are set.
    let basic: (user: [UInt8], password: Secret)?

    /// The checks `auth` asks for; `nil` when it asks for none.
    init?(_ auth: AppConfig.HTTP.Auth) {
        token = auth.token
        basic = auth.user.flatMap { user in auth.password.map { (Array(user.utf8), $0) } }
        if token == nil && basic == nil { return nil }
    }

    /// The realm named in challenges.
    static let realm = "edge-video"

    /// Whether `head` carries the right credentials.
    func allows(_ head: HTTPRequestHead) -> Bool {
        let values = head.headers.filter { $0.name == "authorization" }.map(\.value)
        guard values.count == 1 else { return false }
        let value = values[0]
        guard let space = value.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return false }
        let scheme = value[..<space].lowercased()
        let credentials = value[space...].trimmingCharacters(in: [" ", "\t"])
        switch scheme {
        case "bearer":
            return token?.matches(credentials.utf8) ?? false
        case "basic":
            guard let basic, let decoded = Data(base64Encoded: credentials) else { return false }
            let bytes = Array(decoded)
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return false }
            // Both halves compared, always: no early exit on a wrong user name.
            let userMatches = Secret.constantTimeEquals(bytes[..<colon], basic.user)
            let passwordMatches = basic.password.matches(bytes[(colon + 1)...])
            return userMatches && passwordMatches
        default:
            return false
        }
    }

    /// The 401 answer: one `WWW-Authenticate` challenge per configured scheme.
    var challenge: HTTPResponse {
        var headers: [(name: String, value: String)] = []
        if token != nil { headers.append(("WWW-Authenticate", #"Bearer realm="\#(Self.realm)""#)) }
        if basic != nil { headers.append(("WWW-Authenticate", #"Basic realm="\#(Self.realm)", charset="UTF-8""#)) }
        return .text(.unauthorized, "authentication required", headers: headers)
    }
}

extension AppConfig.HTTP.Auth {
    /// The `Authorization` value `edge-video status` sends to its own instance: the bearer token
    /// when there is one, else basic; `nil` without credentials. Never log it.
    var authorizationHeader: String? {
        if let token { return "Bearer " + String(decoding: token.bytes, as: UTF8.self) }
        guard let user, let password else { return nil }
        return "Basic " + Data(Array(user.utf8) + [UInt8(ascii: ":")] + password.bytes).base64EncodedString()
    }
}
