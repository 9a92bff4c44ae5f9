import CoreMetrics
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import SecretRedaction
import ServiceLifecycle

/// `edge-video run`: loads the configuration, sets up logging, runs the ``Appliance`` in a
/// `ServiceGroup` (SIGTERM/SIGINT graceful) and maps the outcome to the exit codes README.md lists
/// ("Running edge-video").
public struct ApplianceRunner: Sendable {
    /// The configuration file.
    public let configPath: String
    /// Builds the camera tree for a configuration.
    public let makeFleet: @Sendable (AppConfig, Logger) -> any CameraFleet
    /// Called once SIGUSR1 and SIGHUP have their handlers (``Appliance/onSignalHandlersInstalled``);
    /// `edge-video` re-sends there what arrived during startup.
    public var onSignalHandlersInstalled: @Sendable () -> Void = {}

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
        // The appliance writes the pid file once its signal handlers are in place; whichever way
        // this returns, the file goes (if it still names this process).
        let pidFile = StatusPaths(config: config, configPath: configPath).pidFile
        defer { PIDFile.remove(at: pidFile) }
        let (outcomes, outcome) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingOldest(1))
        // The cameras record their timers into this backend from their first frame on.
        let metrics = config.http.enabled ? PrometheusBackend() : nil
        if let metrics { MetricsSystem.bootstrap(metrics) }
        let appliance = Appliance(
            state: state, fleet: makeFleet(config, logger), notifier: SystemdNotifier(), logger: logger,
            onStopOverrun: { outcome.yield(ExitStatus.stopTimedOut) }, onSignalHandlersInstalled: onSignalHandlersInstalled,
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
        // The group runs in a task of its own so that a stop which overruns (tasks stuck in C
        // calls that ignore cancellation) can be left behind: the first outcome wins, and the
        // process exits from `main` after this function's `defer`s have run.
        Task { outcome.yield(await Self.outcome(of: group, logger: logger)) }
        for await status in outcomes { return status }
        return ExitStatus.rootGaveUp
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
