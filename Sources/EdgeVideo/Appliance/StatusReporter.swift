import Durations
import EdgeVideoConfig
import Foundation
import Logging

/// Builds the status document from the tree and the configuration state, and writes it.
package struct StatusReporter: Sendable {
    /// The configuration in force (and the status file location it names).
    package let state: ConfigState
    /// The running tree.
    package let fleet: any CameraFleet
    /// When the process started.
    package let startedAt: ContinuousClock.Instant
    /// Where write failures are logged.
    package let logger: Logger
    /// The status and pid file locations, as configured at start: a `status` change applies at
    /// the next start, like the pid file this instance wrote.
    package let paths: StatusPaths
    /// Formats the echoed tree like the log (journald prefixes, JSON); plain stderr when `nil`.
    package let logSettings: LogSettings?

    /// Creates a reporter.
    package init(
        state: ConfigState, fleet: any CameraFleet, startedAt: ContinuousClock.Instant, logger: Logger,
        logSettings: LogSettings? = nil
    ) {
        self.state = state
        self.fleet = fleet
        self.startedAt = startedAt
        self.logger = logger
        paths = StatusPaths(config: state.current.config, configPath: state.path)
        self.logSettings = logSettings
    }

    /// The status now.
    package func document() -> StatusDocument {
        let snapshot = fleet.snapshot()
        let config = state.current
        let seconds = (ContinuousClock.now - startedAt).seconds
        return StatusDocument(
            pid: getpid(), version: EdgeVideoVersion.current, uptimeS: (seconds * 1000).rounded() / 1000,
            liveTasks: snapshot.liveTasks,
            config: .init(path: state.path, generation: config.generation, lastError: config.lastError),
            tree: snapshot.tree, cameras: snapshot.cameras, spool: snapshot.spool)
    }

    /// Writes the status file atomically; with `echo`, also prints the tree to stderr.
    @discardableResult
    package func write(echo: Bool) -> StatusDocument {
        let document = document()
        do {
            try StatusFile.write(try document.jsonData(), to: paths.statusFile)
        } catch {
            logger.error("cannot write the status file", metadata: ["error": "\(error)", "path": "\(paths.statusFile)"])
        }
        if echo {
            if let logSettings {
                logSettings.writeBlock(document.rendered(), label: logger.label)
            } else {
                FileHandle.standardError.write(Data(document.rendered().utf8))
            }
        }
        return document
    }
}
