/// The version printed by `edge-video --version` and reported in the status.
package enum EdgeVideoVersion {
    /// The semantic version of this build.
    package static let current = "0.1.0"
}

/// Exit codes of `edge-video run` (docs/operations.md, "Signals and exit codes"), for the executable and the
/// service manager.
package enum ExitStatus {
    /// Stopped on request (SIGTERM/SIGINT).
    package static let stopped: Int32 = 0
    /// The configuration is invalid (at start), or `check` found problems.
    package static let configInvalid: Int32 = 1
    /// Command-line usage error (`EX_USAGE`).
    package static let usage: Int32 = 64
    /// The root supervisor gave up (`EX_SOFTWARE`); systemd's `Restart=on-failure` takes over.
    package static let rootGaveUp: Int32 = 70
    /// A graceful stop did not finish within the shutdown timeout; the stuck tasks were logged
    /// (`EX_TEMPFAIL`).
    package static let stopTimedOut: Int32 = 75
}
