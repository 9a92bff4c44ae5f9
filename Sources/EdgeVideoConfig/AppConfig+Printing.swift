import Foundation
import SecretRedaction

extension AppConfig {
    /// The effective configuration as JSON (`edge-video check --print`): every default filled in,
    /// `camera_defaults` merged into each camera, and no secret in it.
    ///
    /// A URL whose password came from a `password_file` is shown as written (a user and no
    /// password) beside its `password_file`; a password written into a URL is `***`; the values
    /// of secret `input_options` (``InputOptions/isSecret(_:)``) are `***`; the HTTP token and
    /// password are never encoded. Decoding the output again gives the same configuration but for
    /// those `***`.
    package func printed() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Every member encodes with synthesized or hand-written code that cannot fail.
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }

    /// `url` as shown: its password removed when it came from `passwordFile`, else redacted.
    static func shownURL(_ url: String, passwordFile: String?) -> String {
        passwordFile == nil ? Redaction.redactingSecrets(in: url) : ConfigFiles.removingPassword(from: url)
    }
}

extension AppConfig.Camera {
    /// Encodes the camera for printing: the URL without its password (``AppConfig/shownURL(_:passwordFile:)``)
    /// and secret `input_options` values as `***`.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(AppConfig.shownURL(url, passwordFile: passwordFile), forKey: .url)
        try container.encodeIfPresent(passwordFile, forKey: .passwordFile)
        try container.encode(fps, forKey: .fps)
        try container.encodeIfPresent(width, forKey: .width)
        try container.encodeIfPresent(height, forKey: .height)
        try container.encode(jpegQuality, forKey: .jpegQuality)
        try container.encodeIfPresent(stallTimeoutS, forKey: .stallTimeoutS)
        try container.encode(queueCapacity, forKey: .queueCapacity)
        try container.encode(loop, forKey: .loop)
        try container.encode(InputOptions.redacted(inputOptions), forKey: .inputOptions)
    }
}

extension AppConfig.AMQP {
    /// Encodes the section for printing: broker URLs without their passwords
    /// (``AppConfig/shownURL(_:passwordFile:)``).
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(urls.map { AppConfig.shownURL($0, passwordFile: passwordFile) }, forKey: .urls)
        try container.encode(exchange, forKey: .exchange)
        try container.encode(exchangeType.rawValue, forKey: .exchangeType)
        try container.encode(routingKey, forKey: .routingKey)
        try container.encode(persistent, forKey: .persistent)
        try container.encode(mandatory, forKey: .mandatory)
        try container.encode(heartbeatS, forKey: .heartbeatS)
        try container.encode(connectTimeoutS, forKey: .connectTimeoutS)
        try container.encode(confirmTimeoutS, forKey: .confirmTimeoutS)
        try container.encode(inFlightWindow, forKey: .inFlightWindow)
        try container.encode(tls, forKey: .tls)
        try container.encodeIfPresent(passwordFile, forKey: .passwordFile)
    }
}
