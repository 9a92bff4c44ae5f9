import Foundation

/// Finds the files a configuration names (TLS files, password files) and reads passwords from them.
///
/// A path is taken as it is when absolute. A bare name (no `/`) is looked up first in
/// `$CREDENTIALS_DIRECTORY`, where systemd's `LoadCredential=` puts credentials, when that is set
/// and holds the name, or the name with ``credentialPrefix`` before it; anything else is relative
/// to the configuration file's directory.
package struct ConfigFiles: Sendable {
    /// What systemd puts before each file's name when the unit loads a whole directory
    /// (`LoadCredential=edge-video:/etc/edge-video/credentials` in deploy/edge-video.service): the
    /// credential `ID_FILE`. The configuration names the file alone.
    static let credentialPrefix = "edge-video_"

    /// The directory relative paths are taken from.
    let directory: String
    /// `$CREDENTIALS_DIRECTORY`, when set and not empty.
    let credentialsDirectory: String?

    /// Files for a configuration read from `directory`, with the process's `environment`.
    init(directory: String, environment: [String: String]) {
        self.directory = directory
        credentialsDirectory = environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The file `name` refers to.
    func resolve(_ name: String) -> String {
        if name.hasPrefix("/") { return name }
        if !name.contains("/"), let credentialsDirectory {
            for id in [name, Self.credentialPrefix + name] {
                let credential = (credentialsDirectory as NSString).appendingPathComponent(id)
                if FileManager.default.fileExists(atPath: credential) { return credential }
            }
        }
        return (directory as NSString).appendingPathComponent(name)
    }

    /// Which version of the file at `path` is on disk: device, inode, size and modification time
    /// (an edit or a rename over it changes it), or `absent`.
    static func version(of path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "\(path): absent" }
        return "\(path): \(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }

    /// The password held by the file `name`: its text without one trailing newline. Problems are
    /// recorded at `path` and never quote the file's content.
    func password(_ name: String, at path: String, _ reader: ConfigReader) -> String? {
        if name.isEmpty {
            reader.fail(path, "must name a file")
            return nil
        }
        let resolved = resolve(name)
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: resolved))
        } catch {
            reader.fail(path, "cannot read \(resolved): \(AppConfig.reason(error))")
            return nil
        }
        guard var text = String(data: data, encoding: .utf8) else {
            reader.fail(path, "\(resolved) is not UTF-8 text")
            return nil
        }
        if text.hasSuffix("\r\n") {
            text.removeLast(2)
        } else if text.hasSuffix("\n") {
            text.removeLast()
        }
        if text.isEmpty {
            reader.fail(path, "\(resolved) is empty")
            return nil
        }
        if text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
            reader.fail(path, "\(resolved) must hold the password on one line")
            return nil
        }
        return text
    }

    /// `url` with `password` added to its userinfo, percent-encoded; or why it cannot take one.
    ///
    /// The URL must name a user (`rtsp://admin@cam/s`) and no password of its own, so the
    /// password lives in one place.
    static func insertingPassword(_ password: String, into url: String) -> Result<String, PasswordProblem> {
        guard let schemeEnd = url.range(of: "://") else { return .failure(.noUser) }
        let afterScheme = url[schemeEnd.upperBound...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return .failure(.noUser) }
        let userinfo = authority[..<at]
        if userinfo.contains(":") { return .failure(.alreadyHasPassword) }
        if userinfo.isEmpty { return .failure(.noUser) }
        let encoded = percentEncoded(password)
        return .success(String(url[..<at]) + ":" + encoded + String(url[at...]))
    }

    /// `url` without the password of its userinfo: the inverse of ``insertingPassword(_:into:)``,
    /// whose percent-encoded password holds no `:`, `@` or `/`.
    static func removingPassword(from url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + String(url[at...])
    }

    /// Why a password could not be put into a URL.
    enum PasswordProblem: Error {
        case noUser
        case alreadyHasPassword

        var message: String {
            switch self {
            case .noUser: "the URL must name a user (scheme://user@host/...) to go with a password_file"
            case .alreadyHasPassword: "the URL already holds a password; give it either in the URL or in password_file"
            }
        }
    }

    /// Every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`) as `%XX`.
    package static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += byte < 16 ? "%0\(hex)" : "%\(hex)"
            }
        }
        return result
    }
}
