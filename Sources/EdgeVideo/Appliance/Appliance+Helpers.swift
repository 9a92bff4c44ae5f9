import Durations
import Foundation
import Logging
import Supervision
import UnixSignals

extension Appliance {
    /// SIGUSR1 writes the status, and echoes the tree to stderr unless `edge-video status` sent
    /// it (its request file exists, and is consumed); SIGHUP requests a reload.
    func handle(_ signals: UnixSignalsSequence, requestReload: AsyncStream<Void>.Continuation) async {
        for await signal in signals.cancelOnGracefulShutdown() {
            switch signal {
            case .sigusr1:
                let fromStatusCommand = unlink(reporter.paths.requestFile) == 0
                reporter.write(echo: !fromStatusCommand)
            case .sighup:
                logger.info("SIGHUP: reloading the configuration")
                requestReload.yield()
            default:
                continue
            }
        }
    }

    /// Keeps systemd's `STATUS=` current (what `systemctl status` shows): cameras running, frame
    /// rate and recent drops, every ``StatusLine/interval``. Only under systemd.
    func reportStatusLine() async {
        guard notifier.socketPath != nil else { return }
        let start = ContinuousClock.now
        var line = StatusLine()
        while !Task.isCancelled {
            let snapshot = fleet.snapshot()
            let elapsed = ContinuousClock.now - start
            let text = line.record(
                at: elapsed.seconds,
                cameras: snapshot.cameras.values.map { .init(running: $0.state == .running, frames: $0.confirmed, dropped: $0.dropped) })
            notify { try notifier.status(text) }
            do { try await Task.sleep(for: StatusLine.interval) } catch { return }
        }
    }

    /// Releases the pages only start-up touched (``StartupPages``) once per configuration
    /// generation, when ``StartupPagesPolicy`` says start-up is over; while `memory.release_startup_pages`
    /// is on. Samples the tree every second.
    func releaseStartupPages() async {
        let start = ContinuousClock.now
        var policy = StartupPagesPolicy()
        while !Task.isCancelled {
            let current = state.current
            if !policy.hasReleased(generation: current.generation) {
                let delivered = fleet.snapshot().cameras.mapValues(\.confirmed)
                let due = policy.shouldRelease(
                    generation: current.generation, delivered: delivered, at: (ContinuousClock.now - start).seconds)
                if due && current.config.memory.releaseStartupPages { await release(generation: current.generation) }
            }
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
        }
    }

    /// One release of start-up pages, logged with what it handed back and how long it took.
    private func release(generation: Int) async {
        do {
            let began = ContinuousClock.now
            let released = try await StartupPages.release()
            let took = ContinuousClock.now - began
            logger.info(
                "released start-up pages",
                metadata: [
                    "mappings": "\(released.mappings)", "resident_kib": "\(released.residentKiB)",
                    "remaining_kib": "\(released.remainingKiB)", "binary_kib": "\(released.binaryKiB)",
                    "binary_remaining_kib": "\(released.binaryRemainingKiB)", "config_generation": "\(generation)",
                    "duration_ms": "\(took.milliseconds)",
                ])
        } catch {
            logger.warning("cannot release start-up pages", metadata: ["error": "\(error)"])
        }
    }

    /// Requests a reload whenever the configuration file, or a password or TLS file it names, is
    /// written or replaced; the files named are taken up again at each of `refreshes`.
    func watch(requestReload: AsyncStream<Void>.Continuation, refreshes: AsyncStream<Void>) async {
        let state = state
        do {
            try await ConfigWatcher(path: state.path, files: { state.current.config.watchedFiles }).run(refreshes: refreshes) {
                logger.info("configuration file or a file it names changed: reloading")
                requestReload.yield()
            }
        } catch {
            logger.warning("cannot watch the configuration file; use SIGHUP to reload", metadata: ["error": "\(error)"])
        }
    }

    /// Sends `WATCHDOG=1` at half systemd's interval, only while the tree is alive
    /// (``FleetSnapshot/liveness``, the same answer as `GET /livez`): a broker outage or a failing
    /// camera never stops the pings.
    func pingWatchdog() async {
        guard let interval = notifier.watchdogInterval else { return }
        var wasAlive = true
        while !Task.isCancelled {
            let liveness = fleet.snapshot().liveness
            if liveness == .alive {
                do { try notifier.watchdog() } catch { logger.warning("watchdog ping failed", metadata: ["error": "\(error)"]) }
            } else if wasAlive, case .dead(let reason) = liveness {
                logger.warning("\(reason): withholding watchdog pings")
            }
            wasAlive = liveness == .alive
            do { try await Task.sleep(for: interval / 2) } catch { return }
        }
    }

    /// Writes the status file every `status.interval_s` (as configured at start) when configured.
    func writePeriodically() async {
        let interval = Duration(secondsSaturating: state.current.config.status.intervalS)
        guard interval > .zero else { return }
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            reporter.write(echo: false)
        }
    }

    /// After a stop request, gives the tree `supervision.shutdown_timeout_s`; past it, logs the
    /// stuck tasks, writes a last status and calls ``onStopOverrun`` (the runner then returns
    /// ``ExitStatus/stopTimedOut`` through its `defer`s, which remove the pid file).
    func enforceShutdownTimeout(after stops: AsyncStream<Void>) async {
        var iterator = stops.makeAsyncIterator()
        guard await iterator.next() != nil else { return }
        let timeout = state.current.config.supervision.shutdownTimeoutS
        do { try await Task.sleep(for: Self.stopDeadline(timeout)) } catch { return }
        let snapshot = fleet.snapshot()
        let stuck = snapshot.overdue.isEmpty ? Self.notStopped(snapshot.tree) : snapshot.overdue
        logger.critical(
            "graceful stop timed out; exiting anyway",
            metadata: ["timeout_s": "\(timeout)", "stuck": "\(stuck)", "live_tasks": "\(snapshot.liveTasks)"])
        reporter.write(echo: false)
        onStopOverrun()
    }

    /// How long a stop may take before the appliance gives up on it: a little more than the
    /// children's own timeout, so they get to report overdue first.
    static func stopDeadline(_ shutdownTimeoutS: Double) -> Duration {
        Duration(secondsSaturating: shutdownTimeoutS) + .milliseconds(500)
    }

    /// What systemd is asked to allow for a stop (`EXTEND_TIMEOUT_USEC`): the deadline plus
    /// time to write the last status and exit. deploy/edge-video.service's `TimeoutStopSec=`
    /// covers the default `shutdown_timeout_s`; this extends it for larger ones.
    static func stopBudget(_ shutdownTimeoutS: Double) -> Duration {
        stopDeadline(shutdownTimeoutS) + .seconds(5)
    }

    /// Paths of the deepest nodes that have not stopped (none below them is still up).
    static func notStopped(_ tree: SupervisorSnapshot) -> [String] {
        let up = tree.paths { $0.state != .stopped }
        return up.filter { path in !up.contains { $0.hasPrefix(path + "/") } }
    }
}

/// A failure of the appliance as a whole.
package struct ApplianceError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; opaque so new kinds don't break the API.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        /// The kind in words.
        package var description: String { name }
        /// The root supervisor exhausted its restart intensity (exit 70).
        package static let rootGaveUp = Code(name: "root supervisor gave up")
    }

    /// The kind of failure.
    package var code: Code
    /// Details, redacted.
    package var message: String

    /// Creates an error.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    package var description: String { "\(code): \(message)" }
}
