import Logging

extension Supervisor {
    /// Runs one generation of children in its own task group until it ends; every child task of
    /// the generation has returned when this returns.
    ///
    /// - Parameter scoped: The children a generation scope built, or `nil` without a scope.
    func runChildren(scoped: [ChildSpec]?, context: RunContext) async throws -> GenerationEnd {
        if Task.isCancelled || inbox.hasStop(epoch: context.epoch) {
            context.state.withLock { $0.stopping = true }
            return .stopped  // e.g. asked to stop while the scope was connecting: start nothing
        }
        let now = clock.now()
        let duplicate = table.withLock { table in
            table.since = now
            return table.machine.beginGeneration(scoped: scoped)
        }
        if let duplicate { throw error(.duplicateChildID, duplicate) }
        return await withDiscardingTaskGroup { group in
            var runner = GenerationRunner(supervisor: self, context: context)
            let end = await runner.run(group: &group)
            group.cancelAll()  // only backoff timers can be left
            inbox.requeue(runner.deferred)  // commands and stop requests that came during the last stop
            return end
        }
    }

    /// Posts `.timer(token)` at `deadline`, unless the group is cancelled first.
    func armTimer(_ token: Int, at deadline: Duration, in group: inout DiscardingTaskGroup) {
        group.addTask { [clock, inbox] in
            guard (try? await clock.sleepUntil(deadline)) != nil else { return }
            inbox.post(.timer(token: token))
        }
    }
}

/// The event loop of one generation, or of the backoff between two: it executes the restart
/// state machine's actions (start, stop, forget, back off) and answers commands.
struct GenerationRunner {
    let supervisor: Supervisor
    let context: RunContext
    var deferred: [Inbox.Event] = []

    /// Starts the table's children in order, then handles events until the generation ends.
    mutating func run(group: inout DiscardingTaskGroup) async -> GenerationEnd {
        for id in supervisor.table.withLock({ $0.machine.children.map(\.id) }) { start(id, group: &group) }
        supervisor.setState(.running)
        while true {
            switch await next() {
            case .exited(let serial, let reason):
                if let end = await childExited(serial: serial, reason: reason, group: &group) { return end }
            case .timer(let token):
                for id in supervisor.table.withLock({ $0.machine.due(token: token) }) { start(id, group: &group) }
                supervisor.setState(.running)
            case .stop(let epoch) where epoch != nil && epoch != context.epoch:
                continue  // meant for an earlier run
            case .stop, .cancelled:
                context.state.withLock { $0.stopping = true }
                supervisor.setState(.stopping)
                await stopAll(as: .stopping)
                return .stopped
            case let event:
                if let (id, reply) = await command(event) {
                    start(id, group: &group)
                    reply.resume()
                }
            }
        }
    }

    /// Waits for the backoff timer `token` between two generations, still answering commands;
    /// returns `false` if asked to stop. A child added meanwhile starts with the next generation.
    mutating func backOff(token: Int) async -> Bool {
        while true {
            switch await next() {
            case .timer(let fired) where fired == token:
                return true
            case .timer, .exited:
                continue
            case .stop(let epoch) where epoch != nil && epoch != context.epoch:
                continue
            case .stop, .cancelled:
                return false
            case let event:
                await command(event)?.reply.resume()
            }
        }
    }

    /// `startChild` and `terminateChild`, the one implementation. A child added is returned with
    /// the reply, to be answered once the caller has started it (or not, between generations).
    private mutating func command(_ event: Inbox.Event) async -> (id: String, reply: Inbox.Reply)? {
        switch event {
        case .startChild(let spec, let reply):
            guard supervisor.table.withLock({ $0.machine.add(spec) }) else {
                reply.resume(throwing: supervisor.error(.duplicateChildID, spec.id))
                return nil
            }
            return (spec.id, reply)
        case .terminateChild(let id, let reply):
            guard supervisor.table.withLock({ $0.machine.contains(id) }) else {
                reply.resume(throwing: supervisor.error(.childNotFound, id))
                return nil
            }
            await stop([id], as: .stopping)
            supervisor.table.withLock { $0.machine.remove([id]) }
            reply.resume()
            return nil
        default:
            return nil
        }
    }

    private mutating func childExited(serial: Int, reason: ExitReason, group: inout DiscardingTaskGroup) async -> GenerationEnd? {
        let now = supervisor.clock.now()
        guard let (id, action) = supervisor.table.withLock({ $0.machine.exited(serial: serial, reason: reason, now: now) })
        else { return nil }
        switch action {
        case .keep, .remove:
            return nil
        case .restart(let stopIDs, let forget, let startIDs, let delay):
            supervisor.logRestart(id: id, reason: reason, delay: delay)
            await stop(stopIDs, as: .restarting)
            supervisor.table.withLock { $0.machine.remove(forget) }
            if delay == .zero {
                for id in startIDs { start(id, group: &group) }
                return nil
            }
            let token = supervisor.table.withLock { table in
                let token = table.machine.nextToken()
                table.machine.backOff(startIDs, token: token)
                return token
            }
            supervisor.armTimer(token, at: now + delay, in: &group)
            return nil
        case .restartGeneration(let forget, let delay):
            supervisor.logRestart(id: id, reason: reason, delay: delay)
            supervisor.setState(.restarting)
            await stopAll(as: .restarting)
            supervisor.table.withLock { $0.machine.remove(forget) }
            return .restart(delay: delay, reason: "\(id): \(reason)")
        case .escalate:
            supervisor.setState(.stopping)
            supervisor.logGiveUp("\(id): \(reason)")
            await stopAll(as: .stopping)
            return .escalate(reason: "\(id): \(reason)")
        }
    }

    private mutating func stopAll(as state: SupervisorSnapshot.State) async {
        await stop(supervisor.table.withLock { $0.machine.children.reversed().map(\.id) }, as: state)
    }

    /// Stops the given children one after the other, awaiting each before the next.
    private mutating func stop(_ ids: [String], as state: SupervisorSnapshot.State) async {
        for id in ids {
            guard let handle = supervisor.table.withLock({ $0.machine.beginStop(id, as: state) }) else { continue }
            handle.requestStop()
            await awaitExit(handle.serial)
            supervisor.table.withLock { $0.machine.stopped(id) }
        }
    }

    private mutating func start(_ id: String, group: inout DiscardingTaskGroup) {
        let now = supervisor.clock.now()
        let started = supervisor.table.withLock { table in table.machine.start(id, now: now).map { ($0, table.path) } }
        guard let (launch, path) = started else { return }
        launch.spec.nested?.setPath("\(path)/\(id)")
        group.addImmediateTask { [supervisor] in
            await supervisor.runSlot(launch)
        }
    }

    /// The next event: one kept back while awaiting an exit, or the inbox's.
    private mutating func next() async -> Inbox.Event {
        deferred.isEmpty ? await supervisor.inbox.next() : deferred.removeFirst()
    }

    /// Waits for one child's exit, keeping every other event for later.
    private mutating func awaitExit(_ serial: Int) async {
        if let k = deferred.firstIndex(where: { if case .exited(serial, _) = $0 { true } else { false } }) {
            deferred.remove(at: k)
            return
        }
        while true {
            let event = await supervisor.inbox.next()
            if case .exited(serial, _) = event { return }
            deferred.append(event)
        }
    }
}
