import Logging

extension Supervisor {
    /// Runs the supervisor until it is stopped, cancelled, or gives up.
    ///
    /// All long-running work happens here: no child task outlives this call.
    ///
    /// - Throws: ``SupervisorError`` `.intensityExceeded` when restarts exceed the intensity (the
    ///   children are stopped first), `.alreadyRunning` if another `run()` is in progress.
    public func run() async throws {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { throw error(.alreadyRunning, "run() called twice") }
        defer {
            for event in inbox.close() { Self.refuse(event, notRunning()) }
            running.store(false, ordering: .releasing)
        }
        inbox.open()
        let epoch = epoch.add(1, ordering: .acquiringAndReleasing).newValue
        let now = clock.now()
        table.withLock { table in
            table.runs += 1
            if table.runs > 1 { table.restarts += 1 }
            table.since = now
            table.machine.beginRun(initialChildren)
        }
        setState(.starting)
        let context = RunContext(epoch: epoch)
        let outcome = await withDiscardingTaskGroup { group in
            group.addTask { [watchdog, clock] in
                await watchdog.run(clock: clock) { self.reportOverdue($0) }
            }
            defer { group.cancelAll() }
            return await runGenerations(context)
        }
        if let outcome { throw outcome }
    }

    /// Runs generation after generation; returns the error that ends `run()`, if any.
    private func runGenerations(_ context: RunContext) async -> SupervisorError? {
        var generation = 0
        while true {
            generation += 1
            let end = await runGeneration(generation, context: context)
            switch end {
            case .stopped:
                setState(.stopped)
                return nil
            case .invalid(let error):
                setState(.failed)
                return error
            case .escalate(let reason):
                table.withLock { $0.lastExit = reason }
                setState(.failed)
                return error(.intensityExceeded, reason)
            case .restart(let delay, let reason):
                table.withLock {
                    $0.restarts += 1
                    $0.lastExit = reason
                }
                if delay > .zero, await !backOff(delay, context: context) {
                    setState(.stopped)
                    return nil
                }
            }
        }
    }

    /// Runs one generation, through the scope if there is one.
    private func runGeneration(_ generation: Int, context: RunContext) async -> GenerationEnd {
        context.state.withLock {
            $0.end = nil
            $0.childrenStarted = false
        }
        guard let scope else {
            do {
                return try await runChildren(scoped: nil, context: context)
            } catch {
                return .invalid(error as? SupervisorError ?? self.error(.invalidScope, "\(error)"))
            }
        }
        setState(.starting)
        do {
            try await scope(generation) { scoped in
                let started = context.state.withLock { state in
                    defer { state.childrenStarted = true }
                    return state.childrenStarted
                }
                if started { throw self.error(.invalidScope, "startChildren called twice") }
                let end = try await self.runChildren(scoped: scoped, context: context)
                context.state.withLock { $0.end = end }
            }
            if let end = context.state.withLock({ $0.end }) { return end }
            return scopeFailed(.failure("\(error(.invalidScope, "scope returned without starting children"))"), context)
        } catch {
            if let end = context.state.withLock({ $0.end }) { return end }
            return scopeFailed(ExitReason(error: error), context)
        }
    }

    private func scopeFailed(_ reason: ExitReason, _ context: RunContext) -> GenerationEnd {
        if Task.isCancelled || context.state.withLock({ $0.stopping }) { return .stopped }
        let now = clock.now()
        let action = table.withLock { $0.machine.generationFailed(now: now) }
        if case .restartGeneration(_, let delay) = action {
            logger.info("generation failed, restarting", metadata: ["supervisor": "\(path)", "reason": "\(reason)"])
            return .restart(delay: delay, reason: reason.description)
        }
        logGiveUp(reason.description)
        return .escalate(reason: reason.description)
    }

    /// Waits out a backoff delay, still answering commands; returns `false` if asked to stop.
    private func backOff(_ delay: Duration, context: RunContext) async -> Bool {
        setState(.backingOff)
        let token = table.withLock { $0.machine.nextToken() }
        let deadline = clock.now() + delay
        return await withDiscardingTaskGroup { group in
            armTimer(token, at: deadline, in: &group)
            defer { group.cancelAll() }
            var runner = GenerationRunner(supervisor: self, context: context)
            return await runner.backOff(token: token)
        }
    }

    static func refuse(_ event: Inbox.Event, _ error: SupervisorError) {
        switch event {
        case .startChild(_, let reply), .terminateChild(_, let reply): reply.resume(throwing: error)
        default: break
        }
    }
}
