/// One problem found in a configuration file, located by its JSON path (`cameras[2].fps`).
package struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    /// The JSON path of the offending value; empty for the document itself.
    package var path: String
    /// What is wrong, in words a user can act on.
    package var message: String

    /// Creates an issue.
    package init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`, or the message alone for the whole document.
    package var description: String {
        path.isEmpty ? message : "\(path): \(message)"
    }
}

/// A configuration that could not be read or is invalid: every problem found, not only the first.
package struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// Every problem, in document order.
    package var issues: [ConfigIssue]

    /// Creates an error from its issues.
    package init(issues: [ConfigIssue]) {
        self.issues = issues
    }

    /// One issue per line.
    package var description: String {
        issues.map(\.description).joined(separator: "\n")
    }

    /// All issues on one line, for the status document and log metadata.
    package var summary: String {
        issues.map(\.description).joined(separator: "; ")
    }
}
