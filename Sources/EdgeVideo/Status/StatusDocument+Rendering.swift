import Foundation

/// The human-readable form of the status, printed to stderr on SIGUSR1 and by `edge-video status`.
extension StatusDocument {
    /// The tree and the camera counters as aligned text, one node per line.
    package func rendered() -> String {
        var lines = [
            "edge-video \(version)  pid \(pid)  up \(Self.duration(uptimeS))  live tasks \(liveTasks)",
            "config \(config.path)  generation \(config.generation)"
                + (config.lastError.map { "  REJECTED: \($0)" } ?? ""),
            "",
        ]
        lines.append(tree.rendered())
        if let spool {
            lines.append("")
            lines.append("spool \(spool.mode)  \(spool.bytes) bytes  \(spool.records) frames"
                + (spool.damagedAtStart > 0 ? "  damaged at start \(spool.damagedAtStart)" : "")
                + (spool.droppedAtStart > 0 ? "  dropped at start \(spool.droppedAtStart)" : "")
                + (spool.lastError.map { "  FAILING: \($0)" } ?? ""))
        }
        if !cameras.isEmpty {
            lines.append("")
            let width = cameras.keys.map(\.count).max() ?? 0
            for id in cameras.keys.sorted() {
                let c = cameras[id]!
                var line = id.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + c.state.rawValue + "  broker " + c.broker.rawValue
                if let url = c.brokerURL { line += " to \(url)" }
                line += "  captured \(c.framesCaptured) = encoded \(c.framesEncoded) + dropped \(c.droppedBeforeEncode)"
                line += " + queued \(c.queuedForEncode)"
                line += c.recovered > 0 ? "  encoded + recovered \(c.recovered)" : "  encoded"
                line += " = confirmed \(c.confirmed) + in flight \(c.inFlight) + queued \(c.queuedForPublish)"
                line += " + spooled \(c.spooled) + dropped \(c.droppedAfterEncode) + spool dropped \(c.spoolDropped)"
                line += " + expired \(c.expired) + damaged \(c.damaged)"
                line += " + nacked \(c.nacked) + returned \(c.returned) + rejected \(c.rejected)"
                line += "  published \(c.published)  reconnects \(c.reconnects)  restarts \(c.restarts)"
                if let error = c.lastError { line += "  last error: \(error)" }
                if let problem = c.brokerProblem { line += "  broker problem: \(problem)" }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds)
        if whole < 60 { return String(format: "%.1fs", seconds) }
        let (days, hours, minutes, secs) = (whole / 86400, whole / 3600 % 24, whole / 60 % 60, whole % 60)
        return days > 0 ? "\(days)d\(hours)h\(minutes)m" : hours > 0 ? "\(hours)h\(minutes)m\(secs)s" : "\(minutes)m\(secs)s"
    }
}
