import Foundation
import Locking

/// Which frames of a camera the broker confirmed, by `message_id`: the hook that lets fault tests
/// hold the ledger against the broker's queue frame by frame (every confirmed frame must be in
/// it), not only count against count. On only when the environment sets
/// `EDGE_VIDEO_LEDGER_TRACE=1`; then the status shows it as `confirmed_ids`.
///
/// Thread-safety: `Locked`; the confirm drainer inserts, the status reads.
final class ConfirmedTrace: Sendable {
    /// Confirmed sequence numbers by `message_id` prefix (`<camera>-<instance>`).
    private let confirmed = Locked<[String: Set<Int64>]>([:])

    /// A trace when the environment asks for one.
    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> ConfirmedTrace? {
        environment["EDGE_VIDEO_LEDGER_TRACE"] == "1" ? ConfirmedTrace() : nil
    }

    /// Records a confirmed `message_id` (`<prefix>-<seq>`).
    func confirmed(_ messageID: String) {
        guard let dash = messageID.lastIndex(of: "-"), let seq = Int64(messageID[messageID.index(after: dash)...]) else {
            return
        }
        let prefix = String(messageID[..<dash])
        confirmed.withLock { _ = $0[prefix, default: []].insert(seq) }
    }

    /// `prefix:first-last,seq,…` per prefix, prefixes sorted, joined by `;`.
    var summary: String {
        confirmed.withLock { $0 }.sorted { $0.key < $1.key }.map { prefix, seqs in
            "\(prefix):" + Self.ranges(seqs.sorted()).joined(separator: ",")
        }.joined(separator: ";")
    }

    static func ranges(_ sorted: [Int64]) -> [String] {
        var out: [String] = []
        var index = 0
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
            out.append(end == index ? "\(sorted[index])" : "\(sorted[index])-\(sorted[end])")
            index = end + 1
        }
        return out
    }
}
