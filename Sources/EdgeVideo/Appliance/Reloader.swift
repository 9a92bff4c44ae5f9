import EdgeVideoConfig
import Logging
import SecretRedaction

/// Applies a changed configuration file to the running tree as a diff by camera id.
///
/// An invalid file is rejected with every issue logged and kept in ``ConfigState`` (shown as
/// `config.last_error`); the configuration in force stays. Reloads run one at a time (the
/// appliance calls ``reload()`` from a single loop).
package struct Reloader: Sendable {
    /// The configuration in force.
    package let state: ConfigState
    /// The running tree.
    package let fleet: any CameraFleet
    /// Where reload outcomes are logged.
    package let logger: Logger
    /// Receives the new `logging` section (level and format apply live); `nil` in tests.
    package let logSettings: LogSettings?

    /// Creates a reloader.
    package init(state: ConfigState, fleet: any CameraFleet, logger: Logger, logSettings: LogSettings? = nil) {
        self.state = state
        self.fleet = fleet
        self.logger = logger
        self.logSettings = logSettings
    }

    /// Reads the file again and applies what changed.
    ///
    /// - Returns: the diff applied, or `nil` when the file was rejected.
    @discardableResult
    package func reload() async -> ConfigDiff? {
        let new: AppConfig
        do {
            new = try AppConfig.load(path: state.path)
        } catch {
            for issue in error.issues {
                logger.error("configuration rejected, keeping the running one", metadata: ["issue": "\(issue)"])
            }
            state.reject(error.summary)
            return nil
        }
        let old = state.current.config
        if old.logging != new.logging {
            logSettings?.apply(new.logging)
            logger.notice("logging changed", metadata: ["level": "\(new.logging.level)", "format": "\(new.logging.format)"])
        }
        let diff = ConfigDiff(from: old, to: new)
        for section in diff.needsRestart {
            let when = section == .supervision ? "at the next start (cameras restarted meanwhile take it up)" : "at the next start"
            logger.warning("configuration section changed; it applies \(when)", metadata: ["section": "\(section.rawValue)"])
        }
        logger.info(
            "applying configuration",
            metadata: [
                "added": "\(diff.added.map(\.id))", "removed": "\(diff.removed)", "changed": "\(diff.changed.map(\.id))",
                "amqp_changed": "\(diff.amqpChanged)",
            ])
        var failures: [String] = []
        for step in diff.steps(in: new) {
            do {
                try await fleet.apply(step, config: new)
            } catch {
                let text = Redaction.redactingSecrets(in: "\(error)")
                logger.error("reload step failed", metadata: ["step": "\(Self.describe(step))", "error": "\(text)"])
                failures.append("\(Self.describe(step)): \(text)")
            }
        }
        state.commit(new)
        if !failures.isEmpty { state.reject(failures.joined(separator: "; ")) }
        return diff
    }

    static func describe(_ step: ConfigDiff.Step) -> String {
        switch step {
        case .stop(let id): "stop camera:\(id)"
        case .start(let camera): "start camera:\(camera.id)"
        case .restart(let camera): "restart camera:\(camera.id)"
        }
    }
}
