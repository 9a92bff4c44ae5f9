import CoreMetrics
import EdgeVideoConfig
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import SecretRedaction
import ServiceLifecycle
import SystemCalls

/// `edge-video run`: loads the configuration, sets up logging, runs the ``Appliance`` in a
/// `ServiceGroup` (SIGTERM/SIGINT graceful) and maps the outcome to the exit codes docs/operations.md lists
/// ("Running edge-video").
package struct ApplianceRunner: Sendable {
    /// The configuration file.
    package let configPath: String
    /// Builds the camera tree for a configuration.
    package let makeFleet: @Sendable (AppConfig, Logger) -> any CameraFleet
    /// Called once SIGUSR1 and SIGHUP have their handlers (``Appliance/onSignalHandlersInstalled``);
    /// `edge-video` re-sends there what arrived during startup.
    package var onSignalHandlersInstalled: @Sendable () -> Void = {}

    /// Builds the camera tree with the appliance's spool (``init(configPath:)``); `nil` for a
    /// custom tree, which runs without one.
    let makeSpooledFleet: (@Sendable (AppConfig, Logger, SpoolLink) -> any CameraFleet)?

    /// Creates a runner with a custom tree (tests); `edge-video` uses ``init(configPath:)``.
    package init(configPath: String, makeFleet: @escaping @Sendable (AppConfig, Logger) -> any CameraFleet) {
        self.configPath = configPath
        self.makeFleet = makeFleet
        makeSpooledFleet = nil
    }

    /// Creates a runner whose tree uses the spool that `spool` in the configuration describes.
    init(configPath: String, spooled: Bool, makeFleet: @escaping @Sendable (AppConfig, Logger, SpoolLink) -> any CameraFleet) {
        self.configPath = configPath
        self.makeFleet = { config, logger in makeFleet(config, logger, .none) }
        makeSpooledFleet = makeFleet
    }

    /// Runs until stopped; returns the process exit status (``ExitStatus``).
    package func run() async -> Int32 {
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
        // The appliance writes the pid file once its signal handlers are in place; whichever way
        // this returns, the file goes (if it still names this process).
        let pidFile = StatusPaths(config: config, configPath: configPath).pidFile
        defer { PIDFile.remove(at: pidFile) }
        let (outcomes, outcome) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingOldest(1))
        // The cameras record their timers into this backend from their first frame on.
        let metrics = config.http.enabled ? PrometheusBackend() : nil
        if let metrics { MetricsSystem.bootstrap(metrics) }
        // The group runs in a task of its own so that a stop which overruns (tasks stuck in C
        // calls that ignore cancellation) can be left behind: the first outcome wins, and the
        // process exits from `main` after this function's `defer`s have run. The spool, when there
        // is one, is open for the group's whole run.
        Task { [self] in
            let serve: @Sendable (any CameraFleet) async -> Int32 = { fleet in
                await serveGroup(
                    fleet: fleet, state: state, logger: logger, logSettings: logSettings, metrics: metrics,
                    stopOverrun: { outcome.yield(ExitStatus.stopTimedOut) })
            }
            if let makeSpooledFleet, config.spool.mode != .off {
                let directory = config.spool.resolvedDirectory(
                    configDirectory: (configPath as NSString).deletingLastPathComponent,
                    environment: ProcessInfo.processInfo.environment)
                outcome.yield(await Self.withSpoolLink(config.spool, directory: directory, logger: logger) { link in
                    await serve(makeSpooledFleet(config, logger, link))
                })
            } else {
                outcome.yield(await serve(makeFleet(config, logger)))
            }
        }
        for await status in outcomes { return status }
        return ExitStatus.rootGaveUp
    }

    /// Runs the appliance around `fleet` in a `ServiceGroup` until it ends; its exit status.
    private func serveGroup(
        fleet: any CameraFleet, state: ConfigState, logger: Logger, logSettings: LogSettings, metrics: PrometheusBackend?,
        stopOverrun: @escaping @Sendable () -> Void
    ) async -> Int32 {
        let appliance = Appliance(
            state: state, fleet: fleet, notifier: SystemdNotifier(), logger: logger,
            onStopOverrun: stopOverrun, onSignalHandlersInstalled: onSignalHandlersInstalled,
            logSettings: logSettings, metrics: metrics)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(
                        service: appliance, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        return await Self.outcome(of: group, logger: logger)
    }

    /// Runs the group to its end and maps the way it ended to an exit status.
    private static func outcome(of group: ServiceGroup, logger: Logger) async -> Int32 {
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
        if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil { Malloc.limitArenas(to: 2) }
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
