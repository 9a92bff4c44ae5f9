/// The status codes the endpoint answers with.
package struct HTTPStatus: Sendable, Equatable, CustomStringConvertible {
    /// The three-digit code.
    let code: Int
    /// The reason phrase.
    let reason: String

    package static let ok = HTTPStatus(code: 200, reason: "OK")
    static let badRequest = HTTPStatus(code: 400, reason: "Bad Request")
    package static let unauthorized = HTTPStatus(code: 401, reason: "Unauthorized")
    package static let notFound = HTTPStatus(code: 404, reason: "Not Found")
    package static let methodNotAllowed = HTTPStatus(code: 405, reason: "Method Not Allowed")
    static let requestTimeout = HTTPStatus(code: 408, reason: "Request Timeout")
    static let headerFieldsTooLarge = HTTPStatus(code: 431, reason: "Request Header Fields Too Large")
    package static let internalServerError = HTTPStatus(code: 500, reason: "Internal Server Error")
    package static let serviceUnavailable = HTTPStatus(code: 503, reason: "Service Unavailable")
    static let versionNotSupported = HTTPStatus(code: 505, reason: "HTTP Version Not Supported")

    package var description: String { "\(code) \(reason)" }
}

/// One response; every connection carries exactly one and then closes.
package struct HTTPResponse: Sendable {
    /// The status line's code and reason.
    var status: HTTPStatus
    /// Header fields besides `Content-Length`, `Connection` and `Cache-Control`, which are always sent.
    var headers: [(name: String, value: String)]
    /// The body (not sent for `HEAD`).
    var body: [UInt8]

    /// A response with `body` of type `contentType`.
    package init(_ status: HTTPStatus, contentType: String, body: [UInt8], headers: [(name: String, value: String)] = []) {
        self.status = status
        self.headers = [("Content-Type", contentType)] + headers
        self.body = body
    }

    /// A short plain-text response: the status line's words, or `message`.
    package static func text(_ status: HTTPStatus, _ message: String? = nil, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(
            status, contentType: "text/plain; charset=utf-8", body: Array(((message ?? status.description) + "\n").utf8),
            headers: headers)
    }

    /// The bytes on the wire; without the body for `HEAD` (its length is still announced).
    func serialized(includingBody: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status.code) \(status.reason)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + (includingBody ? body : [])
    }
}
