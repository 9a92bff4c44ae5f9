import AMQPPublisher
import EdgeVideoHTTP
import Foundation
import VideoPipeline

extension AppConfig {
    /// The keys each object of the file may hold, by schema location (`cameras[]` for an entry of
    /// `cameras`). The schema test checks `supervision.schema.json` against this table.
    static let allowedKeys: [String: [String]] = [
        "": ["$schema", "amqp", "status", "supervision", "logging", "http", "memory", "spool", "camera_defaults", "cameras"],
        "amqp": [
            "urls", "exchange", "exchange_type", "routing_key", "persistent", "mandatory", "heartbeat_s",
            "connect_timeout_s", "confirm_timeout_s", "in_flight_window", "tls", "password_file",
        ],
        "amqp.tls": ["ca_file", "cert_file", "key_file", "verify_peer", "verify_hostname"],
        "status": ["file", "pid_file", "interval_s"],
        "supervision": ["intensity", "period_s", "backoff", "shutdown_timeout_s"],
        "supervision.backoff": ["initial_s", "max_s", "multiplier", "jitter"],
        "logging": ["level", "format"],
        "http": ["enabled", "address", "port", "auth", "allow_unauthenticated"],
        "http.auth": ["token_file", "user", "password_file"],
        "memory": ["release_startup_pages"],
        "spool": ["directory", "max_bytes", "mode", "sync_interval_ms", "max_age_s", "replay"],
        // Every camera key but the three that name one camera.
        "camera_defaults": [
            "fps", "width", "height", "jpeg_quality", "stall_timeout_s", "queue_capacity", "loop", "input_options",
        ],
        "cameras[]": [
            "id", "url", "password_file", "fps", "width", "height", "jpeg_quality", "stall_timeout_s", "queue_capacity",
            "loop", "input_options",
        ],
    ]

    /// The largest configuration file read (1 MiB); a larger one (or `/dev/zero`) is refused unread.
    static let maximumFileBytes = 1 << 20

    /// Reads and validates the configuration file at `path`.
    ///
    /// Relative file names in it (TLS files, password files) are taken from the file's directory,
    /// bare names first from `$CREDENTIALS_DIRECTORY` in `environment` (see ``decode(_:directory:environment:)``).
    /// - Throws: ``ConfigError`` listing every problem, each with its JSON path.
    package static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> AppConfig {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: maximumFileBytes + 1) ?? Data()
        } catch {
            throw ConfigError(issues: [ConfigIssue(path: "", message: "cannot read \(path): \(Self.reason(error))")])
        }
        if data.count > maximumFileBytes {
            throw ConfigError(issues: [ConfigIssue(path: "", message: "\(path) is larger than 1 MiB; not a configuration")])
        }
        return try decode(data, directory: (path as NSString).deletingLastPathComponent, environment: environment)
    }

    /// Decodes and validates a configuration document.
    ///
    /// Accepts exactly what the running service accepts: the URL rules are the capture and
    /// publisher modules' own parsers, and the settings each camera runs with pass their modules'
    /// `validate()`.
    /// - Parameters:
    ///   - directory: where relative file names are taken from; the current directory when `nil`.
    ///   - environment: `CREDENTIALS_DIRECTORY` in it (systemd's `LoadCredential=`) is where bare
    ///     file names are looked up first.
    /// - Throws: ``ConfigError`` listing every problem, each with its JSON path.
    package static func decode(
        _ data: Data, directory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> AppConfig {
        let document = try JSONValue.parse(data)
        let reader = ConfigReader()
        let files = ConfigFiles(
            directory: directory.flatMap { $0.isEmpty ? nil : $0 } ?? FileManager.default.currentDirectoryPath,
            environment: environment)
        if case .object = document {} else {
            throw ConfigError(issues: [ConfigIssue(path: "", message: "the document must be a JSON object")])
        }
        let top = reader.object(document, at: "", allowed: allowedKeys[""]!)
        _ = reader.string(top, "$schema", at: "", default: nil)
        var config = AppConfig()
        config.amqp = readAMQP(reader.object(top["amqp"], at: "amqp", allowed: allowedKeys["amqp"]!), reader, files)
        config.status = readStatus(reader.object(top["status"], at: "status", allowed: allowedKeys["status"]!), reader)
        config.supervision = readSupervision(
            reader.object(top["supervision"], at: "supervision", allowed: allowedKeys["supervision"]!), reader)
        let logging = reader.object(top["logging"], at: "logging", allowed: allowedKeys["logging"]!)
        config.logging.level = reader.choice(logging, "level", at: "logging", default: config.logging.level)
        config.logging.format = reader.choice(logging, "format", at: "logging", default: config.logging.format)
        config.http = readHTTP(reader.object(top["http"], at: "http", allowed: allowedKeys["http"]!), reader, files)
        let memory = reader.object(top["memory"], at: "memory", allowed: allowedKeys["memory"]!)
        config.memory.releaseStartupPages = reader.bool(
            memory, "release_startup_pages", at: "memory", default: config.memory.releaseStartupPages)
        config.spool = readSpool(reader.object(top["spool"], at: "spool", allowed: allowedKeys["spool"]!), reader)
        config.cameras = readCameras(top, reader, files)
        config.watchedFiles = watchedFiles(config, files)
        checkRoutingKeys(config, reader)
        if reader.issues.isEmpty { checkAsTheServiceRuns(config, reader) }
        guard reader.issues.isEmpty else { throw ConfigError(issues: reader.issues) }
        return config
    }

    private static func readAMQP(_ fields: [String: JSONValue], _ reader: ConfigReader, _ files: ConfigFiles) -> AMQP {
        var amqp = AMQP()
        let path = "amqp"
        amqp.passwordFile = reader.string(fields, "password_file", at: path, default: nil)
        let password = amqp.passwordFile.flatMap { files.password($0, at: "amqp.password_file", reader) }
        if let urls = reader.array(fields, "urls", at: path) {
            if urls.isEmpty { reader.fail("amqp.urls", "must name at least one broker") }
            amqp.urls = urls.enumerated().compactMap { index, value in
                let here = "amqp.urls[\(index)]"
                guard case .string(let url) = value else {
                    reader.fail(here, "must be a string, not \(value.typeName)")
                    return nil
                }
                return brokerURL(url, password: password, at: here, reader)
            }
        } else if let password {
            amqp.urls = amqp.urls.compactMap { brokerURL($0, password: password, at: "amqp.urls", reader) }
        }
        amqp.exchange = reader.string(fields, "exchange", at: path, default: amqp.exchange) ?? amqp.exchange
        if amqp.exchange.isEmpty || amqp.exchange.utf8.count > 255 || amqp.exchange.hasPrefix("amq.") {
            reader.fail("amqp.exchange", "must be 1-255 bytes and not start with amq.")
        }
        amqp.exchangeType = reader.choice(fields, "exchange_type", at: path, default: amqp.exchangeType)
        amqp.routingKey = reader.string(fields, "routing_key", at: path, default: amqp.routingKey) ?? amqp.routingKey
        if amqp.routingKey.utf8.count > 200 { reader.fail("amqp.routing_key", "must be at most 200 bytes") }
        amqp.persistent = reader.bool(fields, "persistent", at: path, default: amqp.persistent)
        amqp.mandatory = reader.bool(fields, "mandatory", at: path, default: amqp.mandatory)
        amqp.heartbeatS = reader.number(
            fields, "heartbeat_s", at: path, default: amqp.heartbeatS, .atLeast(0), .zeroOrAtLeast(1), .atMost(3600))!
        amqp.connectTimeoutS = reader.number(
            fields, "connect_timeout_s", at: path, default: amqp.connectTimeoutS, .above(0), .atLeast(0.1), .atMost(300))!
        amqp.confirmTimeoutS = reader.number(
            fields, "confirm_timeout_s", at: path, default: amqp.confirmTimeoutS, .above(0), .atLeast(0.1), .atMost(3600))!
        amqp.inFlightWindow =
            reader.integer(fields, "in_flight_window", at: path, default: amqp.inFlightWindow, .atLeast(1), .atMost(65535))!
        if amqp.heartbeatS > 0, amqp.confirmTimeoutS < 2 * amqp.heartbeatS {
            reader.fail("amqp.confirm_timeout_s", "must be >= 2 x heartbeat_s")
        }
        let tls = reader.object(fields["tls"], at: "amqp.tls", allowed: allowedKeys["amqp.tls"]!)
        amqp.tls.caFile = reader.string(tls, "ca_file", at: "amqp.tls", default: nil)
        amqp.tls.certFile = reader.string(tls, "cert_file", at: "amqp.tls", default: nil)
        amqp.tls.keyFile = reader.string(tls, "key_file", at: "amqp.tls", default: nil)
        amqp.tls.verifyPeer = reader.bool(tls, "verify_peer", at: "amqp.tls", default: true)
        amqp.tls.verifyHostname = reader.bool(tls, "verify_hostname", at: "amqp.tls", default: true)
        if (amqp.tls.certFile == nil) != (amqp.tls.keyFile == nil) {
            reader.fail("amqp.tls", "cert_file and key_file go together")
        }
        // Read at connect time (a missing file is then a TLS error of that camera); resolved here.
        amqp.tls.caFile = amqp.tls.caFile.map(files.resolve)
        amqp.tls.certFile = amqp.tls.certFile.map(files.resolve)
        amqp.tls.keyFile = amqp.tls.keyFile.map(files.resolve)
        amqp.tls.fileVersions = [amqp.tls.caFile, amqp.tls.certFile, amqp.tls.keyFile].compactMap { $0 }.map(ConfigFiles.version(of:))
        return amqp
    }

    /// Every password file and TLS file of `config`, resolved, once each.
    private static func watchedFiles(_ config: AppConfig, _ files: ConfigFiles) -> [String] {
        let named = [config.amqp.passwordFile, config.http.auth.tokenFile, config.http.auth.passwordFile] + config.cameras.map(\.passwordFile)
        let resolved = named.compactMap { $0 }.filter { !$0.isEmpty }.map(files.resolve)
        let tls = [config.amqp.tls.caFile, config.amqp.tls.certFile, config.amqp.tls.keyFile].compactMap { $0 }
        return Array(Set(resolved + tls)).sorted()
    }

    /// `url` checked by the publisher's own parser, with the password of `password_file` added.
    private static func brokerURL(_ url: String, password: String?, at path: String, _ reader: ConfigReader) -> String {
        var url = url
        if let password {
            switch ConfigFiles.insertingPassword(password, into: url) {
            case .success(let withPassword): url = withPassword
            case .failure(let problem):
                reader.fail(path, problem.message)
                return url
            }
        }
        do {
            _ = try AMQPEndpoint(url: url)
        } catch let error as AMQPPublisherError {
            reader.fail(path, error.message)
        } catch {
            reader.fail(path, "\(error)")
        }
        return url
    }

    private static func readStatus(_ fields: [String: JSONValue], _ reader: ConfigReader) -> Status {
        var status = Status()
        status.file = reader.string(fields, "file", at: "status", default: status.file) ?? status.file
        if status.file.isEmpty || status.file.hasSuffix("/") { reader.fail("status.file", "must name a file") }
        status.pidFile = reader.string(fields, "pid_file", at: "status", default: nil)
        if status.pidFile?.isEmpty == true { reader.fail("status.pid_file", "must name a file") }
        status.intervalS =
            reader.number(fields, "interval_s", at: "status", default: 0, .atLeast(0), .zeroOrAtLeast(1), .atMost(86400))!
        return status
    }

    private static func readSupervision(_ fields: [String: JSONValue], _ reader: ConfigReader) -> Supervision {
        var sup = Supervision()
        let path = "supervision"
        sup.intensity = reader.integer(fields, "intensity", at: path, default: sup.intensity, .atLeast(0), .atMost(10000))!
        sup.periodS =
            reader.number(fields, "period_s", at: path, default: sup.periodS, .above(0), .atLeast(0.1), .atMost(86400))!
        sup.shutdownTimeoutS = reader.number(
            fields, "shutdown_timeout_s", at: path, default: sup.shutdownTimeoutS, .above(0), .atLeast(0.1), .atMost(3600))!
        let backoff = reader.object(fields["backoff"], at: "supervision.backoff", allowed: allowedKeys["supervision.backoff"]!)
        let bpath = "supervision.backoff"
        sup.backoff.initialS = reader.number(backoff, "initial_s", at: bpath, default: 0.5, .atLeast(0), .atMost(3600))!
        sup.backoff.maxS = reader.number(backoff, "max_s", at: bpath, default: 30, .atLeast(0), .atMost(86400))!
        sup.backoff.multiplier = reader.number(backoff, "multiplier", at: bpath, default: 2, .atLeast(1), .atMost(100))!
        sup.backoff.jitter = reader.number(backoff, "jitter", at: bpath, default: 0.25, .atLeast(0), .atMost(1))!
        if sup.backoff.maxS < sup.backoff.initialS { reader.fail("supervision.backoff.max_s", "must be >= initial_s") }
        return sup
    }

    private static func readHTTP(_ fields: [String: JSONValue], _ reader: ConfigReader, _ files: ConfigFiles) -> HTTP {
        var http = HTTP()
        http.enabled = reader.bool(fields, "enabled", at: "http", default: http.enabled)
        http.address = reader.string(fields, "address", at: "http", default: http.address) ?? http.address
        let numeric = SocketAddress.numeric(http.address, port: 0) != nil
        if !numeric {
            reader.fail("http.address", "must be a numeric IPv4 or IPv6 address, such as 127.0.0.1 or ::1")
        }
        http.port = reader.integer(fields, "port", at: "http", default: http.port, .atLeast(0), .atMost(65535))!
        http.auth = readHTTPAuth(reader.object(fields["auth"], at: "http.auth", allowed: allowedKeys["http.auth"]!), reader, files)
        http.allowUnauthenticated = reader.bool(fields, "allow_unauthenticated", at: "http", default: false)
        let asksForAuth = http.auth.tokenFile != nil || http.auth.passwordFile != nil || http.auth.user != nil
        if http.enabled, numeric, !SocketAddress.isLoopback(http.address), !asksForAuth, !http.allowUnauthenticated {
            reader.fail(
                "http.address",
                "binds beyond loopback without credentials: set http.auth (token_file, or user and password_file) or http.allow_unauthenticated: true")
        }
        return http
    }

    private static func readSpool(_ fields: [String: JSONValue], _ reader: ConfigReader) -> Spool {
        var spool = Spool()
        let path = "spool"
        spool.directory = reader.string(fields, "directory", at: path, default: nil)
        if spool.directory?.isEmpty == true { reader.fail("spool.directory", "must name a directory") }
        spool.maxBytes = reader.integer(
            fields, "max_bytes", at: path, default: spool.maxBytes, .atLeast(1_048_576), .atMost(1_125_899_906_842_624))!
        spool.mode = reader.choice(fields, "mode", at: path, default: spool.mode)
        spool.replay = reader.choice(fields, "replay", at: path, default: spool.replay)
        spool.syncIntervalMs = reader.integer(
            fields, "sync_interval_ms", at: path, default: spool.syncIntervalMs, .atLeast(0), .atMost(60_000))!
        spool.maxAgeS = reader.number(fields, "max_age_s", at: path, default: nil, .above(0), .atMost(365 * 86400))
        return spool
    }

    /// The `http.auth` section, its secrets read (problems never quote a file's content).
    private static func readHTTPAuth(_ fields: [String: JSONValue], _ reader: ConfigReader, _ files: ConfigFiles) -> HTTP.Auth {
        var auth = HTTP.Auth()
        let path = "http.auth"
        auth.tokenFile = reader.string(fields, "token_file", at: path, default: nil)
        auth.user = reader.string(fields, "user", at: path, default: nil)
        auth.passwordFile = reader.string(fields, "password_file", at: path, default: nil)
        if let tokenFile = auth.tokenFile, let token = files.password(tokenFile, at: "http.auth.token_file", reader) {
            // RFC 6750's token68: what a bearer token may hold on the wire.
            let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=".utf8)
            if token.utf8.allSatisfy(allowed.contains) {
                auth.token = Secret(token)
            } else {
                reader.fail("http.auth.token_file", "the token may hold only A-Z a-z 0-9 - . _ ~ + / =")
            }
        }
        if let user = auth.user, user.isEmpty || user.utf8.count > 128 || user.contains(":")
            || user.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            reader.fail("http.auth.user", "must be 1-128 bytes without ':' or control characters")
        }
        if (auth.user == nil) != (auth.passwordFile == nil) {
            reader.fail(path, "user and password_file go together")
        } else if let passwordFile = auth.passwordFile {
            auth.password = files.password(passwordFile, at: "http.auth.password_file", reader).map(Secret.init)
        }
        return auth
    }

    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        let posix = nsError.domain == NSPOSIXErrorDomain ? nsError : nsError.userInfo[NSUnderlyingErrorKey] as? NSError
        if let posix, posix.domain == NSPOSIXErrorDomain {
            return posix.code == Int(ENOENT) ? "no such file" : String(cString: strerror(Int32(posix.code)))
        }
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError {
            return "no such file"
        }
        return nsError.localizedDescription
    }
}
