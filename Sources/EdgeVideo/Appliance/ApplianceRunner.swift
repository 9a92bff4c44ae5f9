import Foundation
#if canImport(Glibc)
import Glibc
#endif
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
        Self.limitMallocArenas()
        let config: AppConfig
        do {
            config = try AppConfig.load(path: configPath)
        } catch {
            for issue in error.issues { FileHandle.standardError.write(Data("\(configPath): \(issue)\n".utf8)) }
            return ExitStatus.configInvalid
        }
        let logSettings = Self.bootstrapLogging(config.logging)
        let logger = Logger(label: "edge-video")
        let state = ConfigState(path: configPath, config: config)
        let appliance = Appliance(
            state: state, fleet: makeFleet(config, logger), notifier: SystemdNotifier(), logger: logger,
            logSettings: logSettings)
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

    /// Two glibc malloc arenas instead of one per thread (8 per core): with 8 cameras (3 threads
    /// each) this measured 3.6 MiB less PSS (bench/fleet/run.py). `MALLOC_ARENA_MAX` still wins.
    static func limitMallocArenas() {
        #if canImport(Glibc)
        // glibc's <malloc.h> (not part of the Glibc module): M_ARENA_MAX is -8.
        if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil { _ = glibcMallopt(-8, 2) }
        #endif
    }

    /// Logs go to stderr (journald under systemd, with priorities) as `logging` says; done once
    /// per process. The returned settings follow live reloads.
    static func bootstrapLogging(_ logging: AppConfig.Logging) -> LogSettings {
        let settings = LogSettings(journal: LogSettings.isJournal())
        settings.apply(logging)
        LoggingSystem.bootstrap { label in LogLineHandler(label: label, settings: settings) }
        return settings
    }
}

#if canImport(Glibc)
/// glibc's `mallopt(3)`, declared by `<malloc.h>`, which the Glibc module does not import.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
