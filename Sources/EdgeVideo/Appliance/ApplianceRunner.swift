import CoreMetrics
import Foundation
import Logging
import SecretRedaction
import ServiceLifecycle

/// `edge-video run`: loads the configuration, sets up logging, runs the ``Appliance`` in a
/// `ServiceGroup` (SIGTERM/SIGINT graceful) and maps the outcome to the exit codes of CONTRACT.md.
public struct ApplianceRunner: Sendable {
    /// The configuration file.
    public let configPath: String
    /// Builds the camera tree for a configuration.
    public let makeFleet: @Sendable (AppConfig, Logger) -> any CameraFleet

    /// Creates a runner with a custom tree (tests); `edge-video` uses ``init(configPath:)``.
    public init(configPath: String, makeFleet: @escaping @Sendable (AppConfig, Logger) -> any CameraFleet) {
        self.configPath = configPath
        self.makeFleet = makeFleet
    }

    /// Runs until stopped; returns the process exit status (``ExitStatus``).
    public func run() async -> Int32 {
        let config: AppConfig
        do {
            config = try AppConfig.load(path: configPath)
        } catch {
            for issue in error.issues { FileHandle.standardError.write(Data("\(configPath): \(issue)\n".utf8)) }
            return ExitStatus.configInvalid
        }
        Self.bootstrapLogging(level: Logger.Level(rawValue: config.logging.level) ?? .info)
        let logger = Logger(label: "edge-video")
        let state = ConfigState(path: configPath, config: config)
        // The cameras record their timers into this backend from their first frame on.
        let metrics = config.http.enabled ? PrometheusBackend() : nil
        if let metrics { MetricsSystem.bootstrap(metrics) }
        let appliance = Appliance(
            state: state, fleet: makeFleet(config, logger), notifier: SystemdNotifier(), logger: logger,
            metrics: metrics)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(
                        service: appliance, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
            return ExitStatus.stopped
        } catch let error as ApplianceError {
            logger.critical("giving up", metadata: ["error": "\(error)"])
            return ExitStatus.rootGaveUp
        } catch {
            logger.critical("stopped by an error", metadata: ["error": "\(Redaction.redactingSecrets(in: "\(error)"))"])
            return ExitStatus.rootGaveUp
        }
    }

    /// Logs go to stderr (journald under systemd), at `level`; done once per process.
    static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
