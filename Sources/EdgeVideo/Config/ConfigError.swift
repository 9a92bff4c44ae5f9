/// One problem found in a configuration file, located by its JSON path (`cameras[2].fps`).
public struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    /// The JSON path of the offending value; empty for the document itself.
    public var path: String
    /// What is wrong, in words a user can act on.
    public var message: String

    /// Creates an issue.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`, or the message alone for the whole document.
    public var description: String {
        path.isEmpty ? message : "\(path): \(message)"
    }
}

/// A configuration that could not be read or is invalid: every problem found, not only the first.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// Every problem, in document order.
    public var issues: [ConfigIssue]

    /// Creates an error from its issues.
    public init(issues: [ConfigIssue]) {
        self.issues = issues
    }

    /// One issue per line.
    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }

    /// All issues on one line, for the status document and log metadata.
    public var summary: String {
        issues.map(\.description).joined(separator: "; ")
    }
}
