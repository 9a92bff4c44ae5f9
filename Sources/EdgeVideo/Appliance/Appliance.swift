import EdgeVideoConfig
import Foundation
import Logging
import SecretRedaction
import ServiceLifecycle
import UnixSignals

/// The edge-video service: runs the camera tree and, around it, the status signal, live reload
/// (file watch and SIGHUP) and systemd notifications. Run it in a `ServiceGroup` whose graceful
/// shutdown signals are SIGTERM and SIGINT.
package struct Appliance: Service {
    /// The configuration in force.
    package let state: ConfigState
    /// The camera tree.
    package let fleet: any CameraFleet
    /// systemd notifications (no-ops outside systemd).
    package let notifier: SystemdNotifier
    /// The appliance's logger.
    package let logger: Logger
    /// Writes the status file.
    package let reporter: StatusReporter
    /// Called once when a graceful stop has overrun `supervision.shutdown_timeout_s` (plus a
    /// margin); ``ApplianceRunner`` then leaves with ``ExitStatus/stopTimedOut``.
    package let onStopOverrun: @Sendable () -> Void
    /// Called once the SIGUSR1 and SIGHUP handlers are installed, before the pid file is written.
    package let onSignalHandlersInstalled: @Sendable () -> Void
    /// The process's log settings, which a reload updates; `nil` leaves logging alone (tests).
    package let logSettings: LogSettings?
    /// The metrics backend `/metrics` renders; `nil` when none was bootstrapped.
    package let metrics: PrometheusBackend?

    /// Creates the service around a tree; nothing runs before ``run()``.
    package init(
        state: ConfigState, fleet: any CameraFleet, notifier: SystemdNotifier, logger: Logger,
        onStopOverrun: @escaping @Sendable () -> Void = {}, onSignalHandlersInstalled: @escaping @Sendable () -> Void = {},
        logSettings: LogSettings? = nil,
        metrics: PrometheusBackend? = nil
    ) {
        self.state = state
        self.fleet = fleet
        self.notifier = notifier
        self.logger = logger
        self.onStopOverrun = onStopOverrun
        self.onSignalHandlersInstalled = onSignalHandlersInstalled
        reporter = StatusReporter(state: state, fleet: fleet, startedAt: .now, logger: logger, logSettings: logSettings)
        self.logSettings = logSettings
        self.metrics = metrics
    }

    /// What ended one of the appliance's tasks.
    private enum Ended: Sendable { case tree, helper }

    /// Runs until a graceful shutdown (the tree stops, then this returns) or until the root
    /// supervisor gives up (throws ``ApplianceError`` `.rootGaveUp`).
    package func run() async throws {
        // Handlers first: once the pid file exists, `edge-video status` may signal at any time.
        let signals = await UnixSignalsSequence(trapping: .sighup, .sigusr1)
        onSignalHandlersInstalled()
        let pidFile = reporter.paths.pidFile
        do { try PIDFile.write(to: pidFile) } catch {
            logger.warning("cannot write the pid file; edge-video status will not find this instance", metadata: ["error": "\(error)"])
        }
        defer { PIDFile.remove(at: pidFile) }
        let (reloads, requestReload) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let (stops, stopRequested) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        // After each reload: the watcher takes up the password and TLS files now in force.
        let (reloaded, reloadDone) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let reloader = Reloader(state: state, fleet: fleet, logger: logger, logSettings: logSettings)
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Ended.self) { group in
                group.addTask {
                    do { try await fleet.run() } catch {
                        throw ApplianceError(.rootGaveUp, Redaction.redactingSecrets(in: "\(error)"))
                    }
                    return .tree
                }
                let config = state.current.config
                if config.http.enabled {
                    // Before the cameras, so that it stops after them.
                    let endpoint = HTTPEndpoint(
                        configuration: config.http, fleet: fleet, reporter: reporter, metrics: metrics, logger: logger)
                    do { try await fleet.startService(endpoint.spec) } catch {
                        logger.error("HTTP endpoint did not start", metadata: ["error": "\(error)"])
                    }
                }
                for camera in config.cameras {
                    do { try await fleet.apply(.start(camera), config: config) } catch {
                        logger.error("camera did not start", metadata: ["camera": "\(camera.id)", "error": "\(error)"])
                    }
                }
                logger.info("edge-video started", metadata: ["cameras": "\(config.cameras.count)", "config": "\(state.path)"])
                notify { try notifier.ready(status: summary()) }
                group.addTask { await reportStatusLine(); return .helper }
                group.addTask { await releaseStartupPages(); return .helper }
                group.addTask { await handle(signals, requestReload: requestReload); return .helper }
                group.addTask { await watch(requestReload: requestReload, refreshes: reloaded); return .helper }
                group.addTask {
                    for await _ in reloads {
                        notify { try notifier.reloading() }
                        await reloader.reload()
                        reloadDone.yield()
                        notify { try notifier.ready(status: summary()) }
                    }
                    return .helper
                }
                group.addTask { await pingWatchdog(); return .helper }
                group.addTask { await writePeriodically(); return .helper }
                group.addTask { await enforceShutdownTimeout(after: stops); return .helper }
                while let ended = try await group.next() {
                    if ended == .tree { break }
                }
                requestReload.finish()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            logger.info("stopping: capture first, then flush, publish and await confirms")
            notify { try notifier.stopping(within: Self.stopBudget(state.current.config.supervision.shutdownTimeoutS)) }
            stopRequested.yield()
            fleet.stop()
        }
        let final = reporter.write(echo: false)
        logger.info("edge-video stopped", metadata: ["live_tasks": "\(final.liveTasks)"])
    }

    private func summary() -> String {
        let snapshot = fleet.snapshot()
        let running = snapshot.cameras.values.filter { $0.state == .running }.count
        return "\(running)/\(snapshot.cameras.count) cameras running, config generation \(state.current.generation)"
    }

    func notify(_ body: () throws -> Void) {
        do { try body() } catch { logger.warning("sd_notify failed", metadata: ["error": "\(error)"]) }
    }
}
