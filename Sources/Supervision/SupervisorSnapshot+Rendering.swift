/// The tree in human form, for the status text (SIGUSR1, `edge-video status`).
extension SupervisorSnapshot {
    /// One line per node, drawn as a tree: id, strategy, state, restarts (when any), live tasks
    /// (supervisors) and the last exit (when known).
    public func rendered() -> String {
        var lines: [String] = []
        render(prefix: "", childPrefix: "", into: &lines)
        return lines.joined(separator: "\n")
    }

    private func render(prefix: String, childPrefix: String, into lines: inout [String]) {
        var line = prefix + id
        if let strategy { line += "  \(strategy.rawValue)" }
        line += "  \(state.rawValue)"
        if restarts > 0 { line += "  restarts \(restarts)" }
        if kind == .supervisor { line += "  tasks \(liveTasks)" }
        if let lastExit { line += "  last exit: \(lastExit)" }
        lines.append(line)
        for (index, child) in children.enumerated() {
            let last = index == children.count - 1
            child.render(
                prefix: childPrefix + (last ? "└─ " : "├─ "), childPrefix: childPrefix + (last ? "   " : "│  "), into: &lines)
        }
    }
}
