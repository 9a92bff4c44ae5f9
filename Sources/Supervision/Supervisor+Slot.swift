import Logging

extension Supervisor {
    /// One child incarnation: counted live from its start until its body has returned, stoppable
    /// on request, reported when overdue, and reported to the inbox when it has ended.
    func runSlot(_ launch: RestartStateMachine.Launch) async {
        let (spec, handle, counter) = (launch.spec, launch.handle, launch.counter)
        liveTasks.increment()
        counter.increment()
        let reason = await withTaskGroup(of: ExitReason.self) { body in
            body.addImmediateTask {
                let reason: ExitReason
                do {
                    try await spec.run()
                    reason = .normal
                } catch {
                    reason = ExitReason(error: error)
                }
                handle.bodyDone()
                return reason
            }
            guard await handle.waitForStopOrDone() else { return await body.next() ?? .normal }
            switch spec.body {
            case .worker: body.cancelAll()
            case .supervisor(let supervisor): supervisor.stopCurrentRun()
            }
            guard let timeout = spec.shutdownTimeout else { return await body.next() ?? .normal }
            watchdog.arm(serial: handle.serial, id: spec.id, deadline: clock.now() + timeout, timeout: timeout)
            let reason = await body.next() ?? .normal
            watchdog.disarm(serial: handle.serial)
            return reason
        }
        counter.decrement()
        liveTasks.decrement()
        inbox.post(.exited(serial: handle.serial, reason: reason))
    }

    func reportOverdue(_ entry: ShutdownWatchdog.Entry) {
        let path = table.withLock { table in
            table.machine.overdue(serial: entry.serial)
            return "\(table.path)/\(entry.id)"
        }
        logger.warning(
            "child did not return within its shutdown timeout; still waiting for it",
            metadata: ["child": "\(path)", "shutdown_timeout": "\(entry.timeout)"]
        )
    }

    func logRestart(id: String, reason: ExitReason, delay: Duration) {
        logger.info(
            "restarting after child exit",
            metadata: [
                "supervisor": "\(path)", "child": "\(id)", "reason": "\(reason)",
                "strategy": "\(strategy.rawValue)", "delay": "\(delay)",
            ]
        )
    }

    /// Logs that the intensity is exceeded, before the children are stopped (where OTP reports it).
    func logGiveUp(_ reason: String) {
        logger.error("restart intensity exceeded, giving up", metadata: ["supervisor": "\(path)", "last_exit": "\(reason)"])
    }
}
