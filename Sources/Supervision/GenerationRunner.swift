import Logging

extension Supervisor {
    /// Runs one generation of children in its own task group until it ends; every child task of
    /// the generation has returned when this returns.
    func runChildren(_ specs: [ChildSpec], generation: Int, context: RunContext) async throws -> GenerationEnd {
        if Task.isCancelled || inbox.hasStop(epoch: context.epoch) {
            context.state.withLock { $0.stopping = true }
            return .stopped  // e.g. asked to stop while the scope was connecting: start nothing
        }
        var seen = Set<String>()
        for spec in specs where !seen.insert(spec.id).inserted {
            throw error(.duplicateChildID, spec.id)
        }
        status.reconcile(specs)
        let now = clock.now()
        status.state.withLock { $0.since = now }
        context.state.withLock { $0.machine.setChildren(specs.map { ($0.id, $0.restart) }) }
        return await withDiscardingTaskGroup { group in
            var runner = GenerationRunner(supervisor: self, context: context, entries: specs.map { .init(spec: $0) })
            let end = await runner.run(group: &group)
            group.cancelAll()  // only backoff timers can be left
            inbox.requeue(runner.deferred)  // commands and stop requests that came during the last stop
            return end
        }
    }
}

/// The event loop of one generation: starts, restarts and stops the children of the generation.
struct GenerationRunner {
    struct Entry {
        var spec: ChildSpec
        var handle: ChildHandle?
        var pendingToken: Int?
    }

    let supervisor: Supervisor
    let context: RunContext
    var entries: [Entry]
    var deferred: [Inbox.Event] = []

    mutating func run(group: inout DiscardingTaskGroup) async -> GenerationEnd {
        for i in entries.indices { start(i, group: &group) }
        supervisor.setState(.running)
        while true {
            let event = deferred.isEmpty ? await supervisor.inbox.next() : deferred.removeFirst()
            if let end = await handle(event, group: &group) { return end }
        }
    }

    private mutating func handle(_ event: Inbox.Event, group: inout DiscardingTaskGroup) async -> GenerationEnd? {
        switch event {
        case .exited(let serial, let reason):
            return await childExited(serial: serial, reason: reason, group: &group)
        case .timer(let token):
            for i in entries.indices where entries[i].pendingToken == token { start(i, group: &group) }
            supervisor.setState(.running)
            return nil
        case .startChild(let spec, let reply):
            if entries.contains(where: { $0.spec.id == spec.id }) {
                reply.resume(throwing: supervisor.error(.duplicateChildID, spec.id))
                return nil
            }
            context.state.withLock {
                $0.specs.append(spec)
                $0.machine.add(id: spec.id, restart: spec.restart)
            }
            _ = supervisor.status.child(for: spec)
            entries.append(Entry(spec: spec))
            start(entries.count - 1, group: &group)
            reply.resume()
            return nil
        case .terminateChild(let id, let reply):
            guard entries.contains(where: { $0.spec.id == id }) else {
                reply.resume(throwing: supervisor.error(.childNotFound, id))
                return nil
            }
            await stop([id], as: .stopping)
            forget([id])
            reply.resume()
            return nil
        case .stop(let epoch) where epoch != nil && epoch != context.epoch:
            return nil  // meant for an earlier run
        case .stop, .cancelled:
            context.state.withLock { $0.stopping = true }
            supervisor.setState(.stopping)
            await stop(entries.reversed().map(\.spec.id), as: .stopping)
            return .stopped
        }
    }

    private mutating func childExited(serial: Int, reason: ExitReason, group: inout DiscardingTaskGroup) async -> GenerationEnd? {
        guard let i = entries.firstIndex(where: { $0.handle?.serial == serial }) else { return nil }
        entries[i].handle = nil
        let id = entries[i].spec.id
        supervisor.status.state.withLock {
            $0.withChild(id) { child in
                child.state = reason.isNormal ? .stopped : .failed
                child.lastExit = reason.description
                child.overdue = false
            }
        }
        let now = supervisor.clock.now()
        let action = context.state.withLock { $0.machine.exited(id: id, reason: reason, now: now) }
        switch action {
        case .keep:
            return nil
        case .remove:
            forget([id])
            return nil
        case .restart(let stopIDs, let startIDs, let delay):
            supervisor.logRestart(id: id, reason: reason, delay: delay)
            await stop(stopIDs, as: .restarting)
            forget(stopIDs.filter { id in entries.contains { $0.spec.id == id && $0.spec.restart == .temporary } })
            if delay == .zero {
                for id in startIDs { if let k = index(of: id) { start(k, group: &group) } }
                return nil
            }
            let token = context.nextToken()
            for id in startIDs {
                guard let k = index(of: id) else { continue }
                entries[k].pendingToken = token
                supervisor.status.setChild(id, .backingOff)
            }
            let deadline = now + delay
            group.addTask { [clock = supervisor.clock, inbox = supervisor.inbox] in
                guard (try? await clock.sleepUntil(deadline)) != nil else { return }
                inbox.post(.timer(token: token))
            }
            return nil
        case .restartGeneration(let delay):
            supervisor.logRestart(id: id, reason: reason, delay: delay)
            supervisor.setState(.restarting)
            await stop(entries.reversed().map(\.spec.id), as: .restarting)
            context.state.withLock { $0.specs.removeAll { $0.restart == .temporary } }
            return .restart(delay: delay, reason: "\(id): \(reason)")
        case .escalate:
            supervisor.setState(.stopping)
            supervisor.logGiveUp("\(id): \(reason)")
            await stop(entries.reversed().map(\.spec.id), as: .stopping)
            return .escalate(reason: "\(id): \(reason)")
        }
    }

    /// Stops the given children one after the other, awaiting each before the next.
    private mutating func stop(_ ids: [String], as state: SupervisorSnapshot.State) async {
        for id in ids {
            guard let i = index(of: id) else { continue }
            entries[i].pendingToken = nil
            guard let handle = entries[i].handle else { continue }
            supervisor.status.setChild(id, state)
            handle.requestStop()
            _ = await awaitExit(handle.serial)
            entries[i].handle = nil
            context.state.withLock { $0.machine.markStopped(id: id) }
            supervisor.status.state.withLock {
                $0.withChild(id) { child in
                    child.state = .stopped
                    child.overdue = false
                }
            }
        }
    }

    /// Waits for one child's exit, keeping every other event for later.
    private mutating func awaitExit(_ serial: Int) async -> ExitReason {
        if let k = deferred.firstIndex(where: { if case .exited(serial, _) = $0 { true } else { false } }),
            case .exited(_, let reason) = deferred.remove(at: k)
        {
            return reason
        }
        while true {
            let event = await supervisor.inbox.next()
            if case .exited(serial, let reason) = event { return reason }
            deferred.append(event)
        }
    }

    /// Removes children from this generation, the run's spec list and the status.
    private mutating func forget(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        entries.removeAll { ids.contains($0.spec.id) }
        context.state.withLock { state in
            state.specs.removeAll { ids.contains($0.id) }
            for id in ids { state.machine.remove(id: id) }
        }
        for id in ids { supervisor.status.remove(id) }
    }

    private mutating func start(_ i: Int, group: inout DiscardingTaskGroup) {
        let spec = entries[i].spec
        let serial = context.state.withLock { state in
            state.machine.started(id: spec.id)
            state.serial += 1
            return state.serial
        }
        let handle = ChildHandle(serial: serial)
        entries[i].handle = handle
        entries[i].pendingToken = nil
        let now = supervisor.clock.now()
        let (counter, path) = supervisor.status.state.withLock { state -> (LiveTaskCounter?, String) in
            var counter: LiveTaskCounter?
            state.withChild(spec.id) { child in
                child.state = .running
                child.starts += 1
                child.since = now
                child.overdue = false
                counter = child.live
            }
            return (counter, state.path)
        }
        spec.nested?.setPath("\(path)/\(spec.id)")
        group.addImmediateTask { [supervisor] in
            await supervisor.runSlot(spec, handle: handle, counter: counter)
        }
    }

    private func index(of id: String) -> Int? {
        entries.firstIndex { $0.spec.id == id }
    }
}
