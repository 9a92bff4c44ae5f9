import EdgeVideoTestSupport
import Foundation
import Supervision
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig
@testable import EdgeVideoHTTP

/// `http.auth` and `http.allow_unauthenticated`: what the configuration accepts, that secrets never
/// show, and that no request passes without the right credentials.
@Suite struct OperatorAuthTests {
    static let token = "s3cr3t-T0ken_42"
    static let user = "operator"
    static let password = "pa ss:wörd"

    /// A directory holding `token` and `password` files; removed by the caller.
    static func secretsDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "ev-auth-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (token + "\n").write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        try (password + "\n").write(toFile: directory + "/password", atomically: true, encoding: .utf8)
        return directory
    }

    private func issues(_ json: String, directory: String = "/nonexistent", environment: [String: String] = [:]) -> [ConfigIssue] {
        do {
            _ = try AppConfig.decode(Data(json.utf8), directory: directory, environment: environment)
            return []
        } catch {
            return error.issues
        }
    }

    @Test func beyondLoopbackNeedsCredentialsOrAnExplicitOptOut() {
        for address in ["0.0.0.0", "::", "10.1.2.3", "192.168.0.10", "::ffff:10.0.0.1", "fe80::1"] {
            let found = issues(#"{"http":{"address":"\#(address)"},"cameras":[]}"#)
            #expect(found.count == 1 && found.first?.path == "http.address", "\(address): \(found)")
            #expect(found.first?.message.hasPrefix("binds beyond loopback") == true, "\(address): \(found)")
            #expect(issues(#"{"http":{"address":"\#(address)","allow_unauthenticated":true},"cameras":[]}"#).isEmpty, "\(address)")
            #expect(issues(#"{"http":{"address":"\#(address)","enabled":false},"cameras":[]}"#).isEmpty, "\(address)")
        }
        for address in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            #expect(issues(#"{"http":{"address":"\#(address)"},"cameras":[]}"#).isEmpty, "\(address)")
        }
    }

    @Test func secretsAreReadLikePasswordFilesAndNeverShown() throws {
        let directory = try Self.secretsDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The token as a relative file; the password as a systemd credential (a bare name).
        let credentials = directory + "/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try (Self.password + "\n").write(toFile: credentials + "/http-password", atomically: true, encoding: .utf8)
        let json = #"{"http":{"address":"0.0.0.0","auth":{"token_file":"token","user":"operator","password_file":"http-password"}},"cameras":[]}"#
        let config = try AppConfig.decode(Data(json.utf8), directory: directory, environment: ["CREDENTIALS_DIRECTORY": credentials])
        #expect(config.http.auth.isConfigured)
        #expect(config.http.auth.token?.matches(Array(Self.token.utf8)) == true)
        #expect(config.http.auth.password?.matches(Array(Self.password.utf8)) == true)
        let encoded = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        var dumped = ""
        dump(config, to: &dumped)
        for shown in [encoded, "\(config)", String(reflecting: config), dumped, "\(config.http.auth)"] {
            #expect(!shown.contains(Self.token) && !shown.contains("pa ss") && !shown.contains("s3cr3t"), "a secret shows: \(shown.prefix(300))")
        }
        #expect(encoded.contains(#""token_file":"token""#))
    }

    @Test func badAuthSectionsNameTheirPathAndNeverQuoteTheFile() throws {
        let directory = try Self.secretsDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "has space-\(Self.token)\n".write(toFile: directory + "/spaced", atomically: true, encoding: .utf8)
        let cases: [(String, String)] = [
            (#"{"token_file":"missing"}"#, "http.auth.token_file"),
            (#"{"token_file":"spaced"}"#, "http.auth.token_file"),
            (#"{"user":"operator"}"#, "http.auth"),
            (#"{"password_file":"password"}"#, "http.auth"),
            (#"{"user":"a:b","password_file":"password"}"#, "http.auth.user"),
            (#"{"bearer":"x"}"#, "http.auth.bearer"),
        ]
        for (auth, path) in cases {
            let found = issues(#"{"http":{"address":"127.0.0.1","auth":\#(auth)},"cameras":[]}"#, directory: directory)
            #expect(found.map(\.path) == [path], "\(auth): \(found)")
            #expect(!found.description.contains(Self.token), "\(found)")
        }
    }

    @Test func constantTimeComparisonIsStillEquality() {
        let secret = Secret("abc")
        for (presented, expected) in [("abc", true), ("", false), ("ab", false), ("abcabc", false), ("abd", false), ("Abc", false)] {
            #expect(secret.matches(Array(presented.utf8)) == expected, "\(presented)")
        }
        #expect(Secret.constantTimeEquals([], []) && !Secret.constantTimeEquals([1], []))
    }

    /// Requests generated from a seed: random header-name casing, scheme casing and spacing,
    /// truncated, extended and flipped credentials, wrong schemes, garbage and very long values,
    /// repeated headers. Each goes through the real parser and router; none may crash, none may
    /// pass without exactly one right credential, and every refusal is a 401 with its challenge
    /// (or a 400/431 from the parser) that echoes nothing.
    @Test(.timeLimit(.minutes(1))) func generatedRequestsNeverPassWithoutTheSecret() throws {
        let directory = try Self.secretsDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let json = #"{"http":{"address":"0.0.0.0","auth":{"token_file":"token","user":"operator","password_file":"password"}},"cameras":[]}"#
        let config = try AppConfig.decode(Data(json.utf8), directory: directory, environment: [:])
        let fleet = StaticFleet(StaticFleet.snapshot(["cam": StaticFleet.delivering()]))
        let routes = OperatorHealthTests.routes(fleet, auth: config.http.auth)
        var random = SplitMix64(seed: 0xA07B_5EED)
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        func recase(_ text: String) -> String {
            String(text.map { random.next() % 2 == 0 ? Character($0.lowercased()) : Character($0.uppercased()) })
        }
        func garbage(_ count: Int) -> String {
            String((0..<count).map { _ in Character(Unicode.Scalar(UInt8(32 + random.next() % 95))) })
        }
        let rightBasic = Data("\(Self.user):\(Self.password)".utf8).base64EncodedString()
        var tally = [Int: Int]()
        for round in 0..<4000 {
            var values: [String] = []
            var authorized = false
            let space = pick([" ", "  ", "\t", " \t "])
            switch round % 12 {
            case 0: values = ["\(recase("bearer"))\(space)\(Self.token)"]; authorized = true
            case 1: values = ["\(recase("basic"))\(space)\(rightBasic)"]; authorized = true
            case 2: values = ["Bearer " + String(Self.token.prefix(Int(random.next() % UInt64(Self.token.count))))]
            case 3: values = ["Bearer " + Self.token + garbage(1 + Int(random.next() % 4)).replacingOccurrences(of: " ", with: "x")]
            case 4:
                var bytes = Array(Self.token.utf8)
                let at = Int(random.next() % UInt64(bytes.count))
                bytes[at] = bytes[at] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
                values = ["Bearer " + String(decoding: bytes, as: UTF8.self)]
            case 5: values = [pick(["Token ", "Digest ", "Negotiate ", "Bearer", "Basic", "", "bearer:", "Basic " + Self.token, "Bearer " + rightBasic]) + pick(["", Self.token])]
            case 6:
                let pair = pick(["\(Self.user):", ":\(Self.password)", "Operator:\(Self.password)", "\(Self.user):\(Self.password) ",
                                 "\(Self.user)\(Self.password)", "\(Self.user):\(Self.password.prefix(4))", "\(Self.user):\(Self.token)"])
                values = ["Basic " + Data(pair.utf8).base64EncodedString()]
            case 7: values = [pick(["Basic ", "Bearer "]) + garbage(Int(random.next() % 200))]
            case 8: values = ["Bearer " + String(repeating: Self.token, count: 2 + Int(random.next() % 500))]
            case 9: values = ["Basic " + String(rightBasic.dropLast(1 + Int(random.next() % 8)))]
            case 10: values = ["Bearer \(Self.token)", pick(["Bearer \(Self.token)", "Basic \(rightBasic)", "Bearer nope"])]
            default: values = []
            }
            let path = pick(["/", "/metrics", "/livez", "/readyz", "/healthz", "/status", "/cameras/cam/latest.jpg", "/page.js", "/nope"])
            var head = "\(pick(["GET", "HEAD", "POST"])) \(path) HTTP/1.1\r\nHost: x\r\n"
            for value in values { head += "\(recase("authorization")): \(value)\r\n" }
            head += "\r\n"
            let response: HTTPResponse
            switch HTTPRequestHead.parse(Array(head.utf8), limit: 8192) {
            case .complete(let parsed): response = routes.respond(to: parsed)
            case .rejected(let status): response = .text(status)
            case .incomplete:
                Issue.record("incomplete head: \(head.prefix(200))")
                continue
            }
            tally[response.status.code, default: 0] += 1
            let body = String(decoding: response.body, as: UTF8.self)
            #expect(!body.contains(Self.token) && !body.contains(rightBasic), "a response echoes a secret")
            if authorized {
                #expect(response.status != .unauthorized, "\(head.debugDescription)")
            } else {
                #expect([401, 400, 431].contains(response.status.code), "passed without the secret: \(head.prefix(300).debugDescription) -> \(response.status)")
                if response.status == .unauthorized {
                    let challenges = response.headers.filter { $0.name == "WWW-Authenticate" }.map(\.value)
                    #expect(challenges == [#"Bearer realm="edge-video""#, #"Basic realm="edge-video", charset="UTF-8""#])
                    #expect(body == "authentication required\n")
                }
            }
        }
        print("generated requests by status: \(tally.sorted { $0.key < $1.key })")
        #expect(tally[401, default: 0] > 2000 && tally[200, default: 0] > 200)
    }
}

extension OperatorAuthTests {
    /// `edge-video check` (the real binary): a non-loopback address without credentials fails
    /// with its JSON path; with a token it passes, and the token shows nowhere.
    @Test(.timeLimit(.minutes(1))) func checkRejectsAnUnprotectedAddressAndNeverPrintsTheToken() async throws {
        let directory = try Self.secretsDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func check(_ json: String) async throws -> (Int32, String) {
            let path = directory + "/supervision.json"
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            let process = try TestProcess(ApplianceHarness.binary, ["check", "--config", path], name: "check")
            let status = try await process.waitForExit(within: .seconds(30))
            let lines = try await process.allLines(within: .seconds(30))
            return (status, process.stderr + lines.joined(separator: "\n"))
        }
        let (refused, why) = try await check(#"{"http":{"address":"0.0.0.0"},"cameras":[]}"#)
        #expect(refused == 1 && why.contains("http.address: binds beyond loopback"), "\(why)")
        let (accepted, output) = try await check(#"{"http":{"address":"::","auth":{"token_file":"token"}},"cameras":[]}"#)
        #expect(accepted == 0, "\(output)")
        #expect(!output.contains(Self.token))
        let (badToken, badOutput) = try await check(#"{"http":{"address":"::","auth":{"token_file":"password"}},"cameras":[]}"#)
        #expect(badToken == 1 && badOutput.contains("http.auth.token_file") && !badOutput.contains("pa ss"), "\(badOutput)")
    }
}

extension BinaryTests {
    /// `http.auth` on the real binary: real clients without, with wrong and with right credentials,
    /// and `edge-video status`, which authenticates to its own instance.
    @Suite struct OperatorAuthEndToEndTests {
        @Test(.timeLimit(.minutes(3))) func onlyTheRightCredentialsPassAndStatusUsesThem() async throws {
            let h = try ApplianceHarness("http-auth", httpPort: 0)
            try (OperatorAuthTests.token + "\n").write(toFile: h.directory + "/token", atomically: true, encoding: .utf8)
            try (OperatorAuthTests.password + "\n").write(toFile: h.directory + "/password", atomically: true, encoding: .utf8)
            var document = h.document([ApplianceHarness.camera("cam", "testsrc:?size=320x180&rate=10", fps: 5)])
            // A fixed free port: `edge-video status` needs to know it from the file.
            let httpPort = try freePort()
            document["http"] = ["port": httpPort, "auth": ["token_file": "token", "user": OperatorAuthTests.user, "password_file": "password"]]
            try h.writeRaw(try JSONSerialization.data(withJSONObject: document))
            let app = try h.start()
            let port = try await HTTPEndpointTests.listeningPort(of: app)
            #expect(port == httpPort)
            _ = try await h.waitForStatus("a frame confirmed", app: app) { ($0.cameras["cam"]?.confirmed ?? 0) >= 1 }

            let basic = "Basic " + Data("\(OperatorAuthTests.user):\(OperatorAuthTests.password)".utf8).base64EncodedString()
            for path in ["/", "/livez", "/metrics", "/status", "/cameras/cam/latest.jpg", "/nope"] {
                for header in [nil, "Authorization: Bearer wrong", "Authorization: Basic b3BlcmF0b3I6d3Jvbmc=", "Authorization: bearer"] {
                    let answer = try await HTTPEndpointTests.probe(port, ["get", path, "GET"] + (header.map { [$0] } ?? []))
                    #expect(answer["status"] as? Int == 401, "\(path) \(header ?? "none"): \(answer)")
                    #expect((answer["headers"] as? [String: String])?["www-authenticate"]?.contains(#"realm="edge-video""#) == true)
                }
            }
            for header in ["Authorization: Bearer \(OperatorAuthTests.token)", "authorization: \(basic)"] {
                let answer = try await HTTPEndpointTests.probe(port, "get", "/livez", "GET", header)
                #expect(answer["status"] as? Int == 200 && answer["body"] as? String == "alive\n", "\(answer)")
            }

            // `edge-video status` reads GET /status with the configured token: no SIGUSR1, no file.
            try? FileManager.default.removeItem(atPath: h.statusPath)
            let status = try TestProcess(ApplianceHarness.binary, ["status", "--config", h.configPath, "--json"], name: "status")
            let line = try await first(status.lines, within: .seconds(30), what: "status JSON") { $0.contains("\"pid\"") }
            #expect(try await status.waitForExit(within: .seconds(30)) == 0)
            #expect(line.contains("\(app.pid)"))
            #expect(!FileManager.default.fileExists(atPath: h.statusPath), "status authenticated over HTTP instead of signalling")

            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(30)) == 0)
            #expect(app.stderr.contains(#"auth=required"#) || app.stderr.contains(#""auth":"required""#), "\(app.stderr.suffix(2000))")
            for secret in [OperatorAuthTests.token, "pa ss", String(basic.dropFirst(6))] {
                #expect(!app.stderr.contains(secret), "a secret reached the log")
            }
        }
    }
}
