/// What a reload changes, by camera id: the plan that live reload applies to the running tree.
package struct ConfigDiff: Sendable, Equatable {
    /// Cameras new in the configuration, in file order: started.
    package var added: [AppConfig.Camera]
    /// Ids of cameras no longer in the configuration: stopped gracefully.
    package var removed: [String]
    /// Cameras whose settings changed, new settings, in file order: restarted alone.
    package var changed: [AppConfig.Camera]
    /// Ids of cameras whose settings are identical: not disturbed, unless ``amqpChanged``.
    package var unchanged: [String]
    /// The `amqp` section changed: every kept camera restarts, one at a time.
    package var amqpChanged: Bool
    /// Changed sections the running tree does not take up, by section: `status`, `http` and `spool` apply at
    /// the next start; of `supervision`, the root's intensity and backoff apply at the next start,
    /// while camera subtrees started or restarted from now on, and the graceful stop, use the new
    /// backoff and shutdown timeout. `logging` applies live (the reloader hands it to ``LogSettings``).
    package var needsRestart: [Section]

    /// A section of the configuration that the running tree does not take up live.
    package enum Section: String, Sendable, Equatable {
        /// `supervision`.
        case supervision
        /// `status`.
        case status
        /// `http`.
        case http
        /// `spool`.
        case spool
    }

    /// Compares the running configuration with a newly loaded one.
    package init(from old: AppConfig, to new: AppConfig) {
        let oldByID = Dictionary(old.cameras.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let newIDs = Set(new.cameras.map(\.id))
        added = new.cameras.filter { oldByID[$0.id] == nil }
        removed = old.cameras.map(\.id).filter { !newIDs.contains($0) }
        changed = new.cameras.filter { camera in oldByID[camera.id].map { $0 != camera } ?? false }
        unchanged = new.cameras.filter { oldByID[$0.id] == $0 }.map(\.id)
        amqpChanged = old.amqp != new.amqp
        needsRestart = [
            old.supervision != new.supervision ? .supervision : nil,
            old.status != new.status ? .status : nil,
            old.http != new.http ? .http : nil,
            old.spool != new.spool ? .spool : nil,
        ].compactMap { $0 }
    }

    /// Nothing the running tree has to do.
    package var isEmpty: Bool {
        added.isEmpty && removed.isEmpty && changed.isEmpty && !amqpChanged
    }

    /// One step of applying a diff.
    package enum Step: Sendable, Equatable {
        /// Stop and remove the camera subtree with this id.
        case stop(String)
        /// Start a new camera subtree.
        case start(AppConfig.Camera)
        /// Replace a running camera subtree by one with these settings, then wait until it runs
        /// before the next step (so an `amqp` change rolls through the cameras one by one).
        case restart(AppConfig.Camera)
    }

    /// The steps, in order: removals first (they free resources), then restarts of changed
    /// cameras, then, on an `amqp` change, the untouched cameras one by one, then additions.
    package func steps(in new: AppConfig) -> [Step] {
        var steps = removed.map(Step.stop)
        steps += changed.map(Step.restart)
        if amqpChanged {
            let kept = Set(unchanged)
            steps += new.cameras.filter { kept.contains($0.id) }.map(Step.restart)
        }
        steps += added.map(Step.start)
        return steps
    }
}
