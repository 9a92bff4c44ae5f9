/// The version printed by `edge-video --version` and reported in the status.
public enum EdgeVideoVersion {
    /// The semantic version of this build.
    public static let current = "0.1.0"
}

/// Exit codes of `edge-video run` (docs/operations.md, "Signals and exit codes"), for the executable and the
/// service manager.
public enum ExitStatus {
    /// Stopped on request (SIGTERM/SIGINT).
    public static let stopped: Int32 = 0
    /// The configuration is invalid (at start), or `check` found problems.
    public static let configInvalid: Int32 = 1
    /// Command-line usage error (`EX_USAGE`).
    public static let usage: Int32 = 64
    /// The root supervisor gave up (`EX_SOFTWARE`); systemd's `Restart=on-failure` takes over.
    public static let rootGaveUp: Int32 = 70
    /// A graceful stop did not finish within the shutdown timeout; the stuck tasks were logged
    /// (`EX_TEMPFAIL`).
    public static let stopTimedOut: Int32 = 75
}
