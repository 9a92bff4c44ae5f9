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
        status.state.withLock { state in
            state.runs += 1
            if state.runs > 1 { state.restarts += 1 }
            state.state = .starting
            state.since = clock.now()
        }
        let machine = RestartStateMachine(strategy: strategy, intensity: intensity, backoff: backoff, seed: seed)
        let context = RunContext(.init(machine: machine, specs: initialChildren), epoch: epoch)
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
                status.state.withLock {
                    $0.state = .failed
                    $0.lastExit = reason
                }
                return error(.intensityExceeded, reason)
            case .restart(let delay, let reason):
                status.state.withLock {
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
            let specs = context.state.withLock { $0.specs }
            do {
                return try await runChildren(specs, generation: generation, context: context)
            } catch {
                return .invalid(error as? SupervisorError ?? self.error(.invalidScope, "\(error)"))
            }
        }
        setState(.starting)
        do {
            try await scope(generation) { scoped in
                let (started, dynamic) = context.state.withLock { state in
                    defer { state.childrenStarted = true }
                    return (state.childrenStarted, state.specs)
                }
                if started { throw self.error(.invalidScope, "startChildren called twice") }
                let end = try await self.runChildren(scoped + dynamic, generation: generation, context: context)
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
        let action = context.state.withLock { $0.machine.generationFailed(now: clock.now()) }
        if case .restartGeneration(let delay) = action {
            logger.info("generation failed, restarting", metadata: ["supervisor": "\(path)", "reason": "\(reason)"])
            return .restart(delay: delay, reason: reason.description)
        }
        logGiveUp(reason.description)
        return .escalate(reason: reason.description)
    }

    /// Waits out a backoff delay, still answering commands; returns `false` if asked to stop.
    private func backOff(_ delay: Duration, context: RunContext) async -> Bool {
        setState(.backingOff)
        let token = context.nextToken()
        let deadline = clock.now() + delay
        return await withDiscardingTaskGroup { group in
            group.addTask { [clock, inbox] in
                guard (try? await clock.sleepUntil(deadline)) != nil else { return }
                inbox.post(.timer(token: token))
            }
            defer { group.cancelAll() }
            while true {
                switch await inbox.next() {
                case .timer(let fired) where fired == token:
                    return true
                case .timer, .exited:
                    continue
                case .stop(let epoch) where epoch != nil && epoch != context.epoch:
                    continue
                case .stop, .cancelled:
                    return false
                case .startChild(let spec, let reply):
                    let duplicate = context.state.withLock { state in
                        if state.specs.contains(where: { $0.id == spec.id }) { return true }
                        state.specs.append(spec)
                        return false
                    }
                    if duplicate { reply.resume(throwing: error(.duplicateChildID, spec.id)) } else { reply.resume() }
                case .terminateChild(let id, let reply):
                    let found = context.state.withLock { state in
                        defer { state.specs.removeAll { $0.id == id } }
                        return state.specs.contains { $0.id == id }
                    }
                    if found { reply.resume() } else { reply.resume(throwing: error(.childNotFound, id)) }
                }
            }
        }
    }

    static func refuse(_ event: Inbox.Event, _ error: SupervisorError) {
        switch event {
        case .startChild(_, let reply), .terminateChild(_, let reply): reply.resume(throwing: error)
        default: break
        }
    }
}
